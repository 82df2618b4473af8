using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace ActSearch.Api;

/// <summary>
/// <c>GET /api/jobs/{id}/events</c>: server-sent events. <c>event: job</c> with the Job as data when it changes
/// and at least every <see cref="Heartbeat"/> while the job goes on; <c>event: end</c> with the final Job, then
/// the stream closes. A client that connects (or reconnects) gets the current Job first.
/// </summary>
internal static class JobEvents
{
    public static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(2);

    public static async Task<IResult> StreamAsync(Guid id, HttpContext context, JobService jobs, IOptions<JsonOptions> json)
    {
        var cancellation = context.RequestAborted;
        if (await jobs.GetAsync(id, cancellation) is null) return Problems.NotFound($"No job {id}.");
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no"; // proxies must not hold events back
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.WriteAsync("retry: 2000\n\n", cancellation);
        await response.Body.FlushAsync(cancellation);

        string? last = null;
        var sent = DateTime.MinValue;
        try
        {
            await foreach (var view in jobs.WatchAsync(id, Poll, cancellation))
            {
                string data = JsonSerializer.Serialize(view, json.Value.SerializerOptions);
                if (view.IsFinal)
                {
                    await WriteAsync(response, "job", data, cancellation);
                    await WriteAsync(response, "end", data, cancellation);
                    break;
                }
                // A change is anything but the running time, which changes on every poll.
                string state = JsonSerializer.Serialize(view with { RunningTime = 0 }, json.Value.SerializerOptions);
                if (state != last || DateTime.UtcNow - sent >= Heartbeat)
                {
                    await WriteAsync(response, "job", data, cancellation);
                    last = state;
                    sent = DateTime.UtcNow;
                }
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // the client went away
        }
        return Results.Empty;
    }

    private static async Task WriteAsync(HttpResponse response, string name, string data, CancellationToken cancellation)
    {
        // JSON has no raw newlines, so the data is one line.
        await response.WriteAsync($"event: {name}\ndata: {data}\n\n", cancellation);
        await response.Body.FlushAsync(cancellation);
    }
}
