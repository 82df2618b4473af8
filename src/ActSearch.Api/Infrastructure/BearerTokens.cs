using System.Security.Cryptography;
using System.Text;
using ActSearch.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace ActSearch.Api;

/// <summary>
/// The bearer tokens allowed to use the API: <c>ACTSEARCH_API_TOKENS</c> (comma-separated) and the lines of the file
/// named by <c>ACTSEARCH_API_TOKENS_FILE</c> (read again when it changes, so a rotated Kubernetes Secret takes
/// effect without a restart). Tokens are kept as SHA-256 hashes and compared in constant time: every configured
/// token is compared, whether or not an earlier one matched. No token configured: nothing is allowed.
/// </summary>
public sealed class BearerTokens
{
    private readonly byte[][] _fromSettings;
    private readonly string? _file;
    private readonly Lock _gate = new();
    private (DateTime Stamp, long Length, byte[][] Hashes) _fromFile = (DateTime.MinValue, -1, []);

    public BearerTokens(IOptions<ActSearchOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var o = options.Value;
        _fromSettings = [.. Split(o.ApiTokens, ',').Select(Hash)];
        _file = string.IsNullOrWhiteSpace(o.ApiTokensFile) ? null : o.ApiTokensFile;
        ReadsRequireToken = o.ApiReadRequiresToken;
    }

    /// <summary>ACTSEARCH_API_READ_REQUIRES_TOKEN.</summary>
    public bool ReadsRequireToken { get; }

    /// <summary>True when <paramref name="presented"/> is one of the configured tokens.</summary>
    /// <summary>
    /// The owner name of a token's jobs: <c>token:</c> and the first 12 hex digits of its SHA-256 (never the token itself),
    /// so jobs can be counted per token and told apart in listings; <c>api</c> without one.
    /// </summary>
    public static string OwnerOf(string? token) => token is { Length: > 0 }
        ? "token:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)))[..12]
        : "api";

    public bool IsAllowed(string? presented)
    {
        if (string.IsNullOrEmpty(presented)) return false;
        var hash = Hash(presented);
        bool allowed = false;
        foreach (var known in _fromSettings.Concat(FileTokens()))
            allowed |= CryptographicOperations.FixedTimeEquals(hash, known);
        return allowed;
    }

    /// <summary>The token of an <c>Authorization: Bearer &lt;token&gt;</c> header, or null.</summary>
    public static string? FromHeader(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        string? header = request.Headers.Authorization;
        const string Scheme = "Bearer ";
        return header is { Length: > 7 } && header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) ? header[Scheme.Length..].Trim() : null;
    }

    private byte[][] FileTokens()
    {
        if (_file is null) return [];
        FileInfo info;
        try
        {
            info = new FileInfo(_file);
            if (!info.Exists) return []; // a Secret being swapped: refuse until it is back
        }
        catch (IOException)
        {
            return [];
        }
        lock (_gate)
        {
            if (_fromFile.Stamp == info.LastWriteTimeUtc && _fromFile.Length == info.Length) return _fromFile.Hashes;
            try
            {
                var hashes = Split(File.ReadAllText(_file), '\n').Select(Hash).ToArray();
                _fromFile = (info.LastWriteTimeUtc, info.Length, hashes);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _fromFile = (DateTime.MinValue, -1, []);
            }
            return _fromFile.Hashes;
        }
    }

    private static IEnumerable<string> Split(string? text, char separator) =>
        (text ?? "").Split(separator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(t => !t.StartsWith('#'));

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
