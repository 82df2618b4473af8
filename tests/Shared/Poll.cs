using System.Diagnostics;
using System.Net;

namespace ActSearch.Testing;

/// <summary>
/// Waiting in tests: read something again and again until it is what the test waits for, with a deadline, and fail with
/// what was read last. Test projects link this file (<c>&lt;Compile Include="..\Shared\Poll.cs" Link="Shared\Poll.cs" /&gt;</c>).
/// </summary>
internal static class Poll
{
    /// <summary>
    /// Calls <paramref name="read"/> every <paramref name="interval"/> until <paramref name="done"/> holds for its value
    /// and returns that value; after <paramref name="timeout"/>, a <see cref="TimeoutException"/> saying what was
    /// awaited and <paramref name="describe"/> of the last value. <paramref name="read"/> may throw to stop the wait.
    /// </summary>
    public static async Task<T> UntilAsync<T>(
        Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, string what, Func<T, string>? describe = null, TimeSpan? interval = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await read();
            if (done(value)) return value;
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"Waited {timeout.TotalSeconds:0.#} s for {what}; last: {(describe is null ? value?.ToString() : describe(value))}");
            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(50));
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds.</summary>
    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what, TimeSpan? interval = null) =>
        UntilAsync(() => Task.FromResult(condition()), ok => ok, timeout, what, _ => "not yet", interval);

    /// <summary>Waits until <paramref name="probe"/> returns a value, and returns it.</summary>
    public static T UntilFound<T>(Func<T?> probe, TimeSpan timeout, string what) where T : class =>
        UntilAsync(() => Task.FromResult(probe()), v => v is not null, timeout, what, _ => "nothing", TimeSpan.FromMilliseconds(100))
            .GetAwaiter().GetResult()!;

    /// <summary>
    /// Waits until GET <paramref name="url"/> answers 200 (a server's or silo's <c>/readyz</c>). <paramref name="exited"/>
    /// says why the wait cannot succeed any more (the process died), with what it printed; null while it can.
    /// </summary>
    public static async Task ReadyAsync(HttpClient http, string url, TimeSpan timeout, string what, Func<string?> exited)
    {
        string last = "no answer yet";
        await UntilAsync(async () =>
        {
            if (exited() is { } problem) throw new InvalidOperationException($"{what} stopped before it was ready: {problem}");
            try
            {
                using var response = await http.GetAsync(url);
                if (response.StatusCode == HttpStatusCode.OK) return true;
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }
            return false;
        }, ok => ok, timeout, $"{what} to answer {url}", _ => last, TimeSpan.FromMilliseconds(200));
    }
}
