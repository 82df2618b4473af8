using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ActSearch.Api;

/// <summary>RFC 7807 answers with the fields docs/http-api.md names (<c>errors</c> for validation failures).</summary>
internal static class Problems
{
    public static ProblemHttpResult Of(int status, string title, string? detail = null, IReadOnlyList<string>? errors = null) =>
        TypedResults.Problem(
            detail: detail,
            statusCode: status,
            title: title,
            type: TypeOf(status),
            extensions: errors is null ? null : new Dictionary<string, object?> { ["errors"] = errors });

    public static ProblemHttpResult BadRequest(string detail, IReadOnlyList<string>? errors = null) =>
        Of(StatusCodes.Status400BadRequest, "Bad request", detail, errors ?? [detail]);

    public static ProblemHttpResult NotFound(string detail) => Of(StatusCodes.Status404NotFound, "Not found", detail);

    /// <summary>The RFC 9110 section of a status code, as ASP.NET Core's own problem details name them.</summary>
    public static string TypeOf(int status) => status switch
    {
        400 => "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        401 => "https://tools.ietf.org/html/rfc9110#section-15.5.2",
        404 => "https://tools.ietf.org/html/rfc9110#section-15.5.5",
        409 => "https://tools.ietf.org/html/rfc9110#section-15.5.10",
        413 => "https://tools.ietf.org/html/rfc9110#section-15.5.14",
        415 => "https://tools.ietf.org/html/rfc9110#section-15.5.16",
        503 => "https://tools.ietf.org/html/rfc9110#section-15.6.4",
        _ => "https://tools.ietf.org/html/rfc9110#section-15.6.1",
    };
}
