using Microsoft.AspNetCore.Http;

namespace ActSearch.Api;

/// <summary>
/// Refuses requests to <c>/api</c> that need a token and lack a good one, before anything reads the body: writes
/// always (every method but GET, HEAD and OPTIONS), reads when ACTSEARCH_API_READ_REQUIRES_TOKEN is true. The answer
/// is 401 with a problem body and <c>WWW-Authenticate: Bearer</c>; nothing is stored. Health routes, the OpenAPI
/// document and the web UI's files stay open (the UI sends the token with its API calls).
/// </summary>
internal sealed class TokenGate(RequestDelegate next, BearerTokens tokens)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase)) return next(context);
        context.Response.Headers.XContentTypeOptions = "nosniff"; // answers are data: never sniffed into HTML
        bool read = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method);
        if (read && !tokens.ReadsRequireToken) return next(context);
        string? token = BearerTokens.FromHeader(request);
        if (tokens.IsAllowed(token)) return next(context);
        return RefuseAsync(context, token is null);
    }

    private static Task RefuseAsync(HttpContext context, bool missing)
    {
        context.Response.Headers.WWWAuthenticate = missing ? "Bearer" : "Bearer error=\"invalid_token\"";
        string detail = missing
            ? "This request needs 'Authorization: Bearer <token>' with a token the server knows (ACTSEARCH_API_TOKENS or ACTSEARCH_API_TOKENS_FILE)."
            : "The bearer token is not one this server accepts.";
        return Problems.Of(StatusCodes.Status401Unauthorized, "Unauthorized", detail).ExecuteAsync(context);
    }
}
