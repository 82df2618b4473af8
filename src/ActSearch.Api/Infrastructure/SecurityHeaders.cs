using Microsoft.AspNetCore.Http;

namespace ActSearch.Api;

/// <summary>
/// The browser-facing headers on every response: a strict Content-Security-Policy (scripts and styles from this origin
/// only, no inline script; inline style attributes stay allowed for KaTeX and the charts), no framing (against a
/// click-jack that presses Cancel with the token the browser keeps), no referrer, no MIME sniffing. A route that sets
/// its own policy (the SVG plot) keeps it.
/// </summary>
internal sealed class SecurityHeaders(RequestDelegate next)
{
    public const string Policy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            if (!headers.ContainsKey("Content-Security-Policy")) headers.ContentSecurityPolicy = Policy;
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers.XContentTypeOptions = "nosniff";
            return Task.CompletedTask;
        });
        return next(context);
    }
}
