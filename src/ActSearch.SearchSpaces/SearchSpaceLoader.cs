using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using ActSearch.SearchSpaces.Yaml;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ActSearch.SearchSpaces;

/// <summary>
/// Reads search-space YAML files (the format is in search-spaces/README.md). Every problem is reported as
/// <c>file:line:column: message</c>, all of them at once, through <see cref="SearchSpaceException"/>; the
/// input may be hostile (it arrives through the HTTP API), so size, nesting, anchors and aliases are limited.
/// </summary>
public static class SearchSpaceLoader
{
    private const string ResourcePrefix = "search-spaces/";
    private const string Extension = ".yaml";

    /// <summary>Reads a file; errors name it as <paramref name="path"/> was written.</summary>
    public static SearchSpace Load(string path, SearchSpaceLoadOptions? options = null) =>
        TryLoad(path, out var space, out var errors, options) ? space : throw new SearchSpaceException(errors);

    /// <summary>Reads YAML text; <paramref name="fileName"/> is what errors call the file.</summary>
    public static SearchSpace LoadFromText(string text, string fileName, SearchSpaceLoadOptions? options = null) =>
        TryLoadFromText(text, fileName, out var space, out var errors, options) ? space : throw new SearchSpaceException(errors);

    /// <summary>Reads one of the search spaces shipped in this assembly (see <see cref="ListEmbedded"/>), e.g. "evonorm-b".</summary>
    public static SearchSpace LoadEmbedded(string name, SearchSpaceLoadOptions? options = null) =>
        LoadFromText(GetEmbeddedText(name), ResourceName(name), options);

    public static bool TryLoad(string path, [NotNullWhen(true)] out SearchSpace? space, out IReadOnlyList<SearchSpaceError> errors,
        SearchSpaceLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= SearchSpaceLoadOptions.Default;
        string text;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) return Fail(path, "file not found.", out space, out errors);
            // Checked before reading, so a huge file is never loaded into memory.
            if (info.Length > options.MaxFileSize)
                return Fail(path, $"file is {info.Length} bytes; search spaces are limited to {options.MaxFileSize} bytes.", out space, out errors);
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return Fail(path, $"cannot read the file: {e.Message}", out space, out errors);
        }
        return TryLoadFromText(text, path, out space, out errors, options);
    }

    public static bool TryLoadFromText(string text, string fileName, [NotNullWhen(true)] out SearchSpace? space,
        out IReadOnlyList<SearchSpaceError> errors, SearchSpaceLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        options ??= SearchSpaceLoadOptions.Default;
        if (text.Length > options.MaxFileSize)
            return Fail(fileName, $"text is {text.Length} characters; search spaces are limited to {options.MaxFileSize}.", out space, out errors);
        // A byte-order mark read as text would become part of the first key.
        if (text.StartsWith('\uFEFF')) text = text[1..];

        var d = new Diagnostics(fileName);
        var root = ParseYaml(text, d, options);
        space = root is null ? null : new SpaceReader(d, text, options).Read(root);
        errors = d.Sorted();
        if (d.HasErrors) space = null;
        return space is not null;
    }

    /// <summary>The single document's root node, or null with the reason reported.</summary>
    private static YamlNode? ParseYaml(string text, Diagnostics d, SearchSpaceLoadOptions options)
    {
        var stream = new YamlStream();
        // A 1 MiB file holds well under a million nodes; the cap only stops a parser that never ends.
        var parser = new GuardedParser(new Parser(new StringReader(text)), options.MaxNesting, maxEvents: 2 * options.MaxFileSize + 16);
        try
        {
            stream.Load(parser);
        }
        catch (YamlException e)
        {
            d.Add(e.Start, $"YAML: {YamlMessage(e)}");
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The representation model's own failures on malformed input: reported where parsing stopped.
            d.Add(parser.LastMark, $"YAML: the text after this point is not valid YAML ({e.Message}).");
            return null;
        }
        if (stream.Documents.Count == 0)
        {
            d.Add(1, 1, "the file is empty; a search space needs at least 'name' and 'kind'.");
            return null;
        }
        if (stream.Documents.Count > 1)
        {
            d.Add(stream.Documents[1].RootNode.Start, "only one YAML document per file (remove the '---' separator).");
            return null;
        }
        return stream.Documents[0].RootNode;
    }

    /// <summary>One line, bounded: parser messages may quote long stretches of the input.</summary>
    private static string YamlMessage(YamlException e)
    {
        string m = (e.InnerException is YamlException inner ? inner.Message : e.Message).ReplaceLineEndings(" ").Trim();
        if (m.Length == 0) return "syntax error.";
        return m.Length > 300 ? m[..300] + "..." : m;
    }

    private static bool Fail(string file, string message, out SearchSpace? space, out IReadOnlyList<SearchSpaceError> errors)
    {
        space = null;
        errors = [new SearchSpaceError(file, 1, 1, message)];
        return false;
    }

    /// <summary>Names of the embedded search spaces, without ".yaml", sorted.</summary>
    public static IReadOnlyList<string> ListEmbedded() =>
        [.. Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(Extension, StringComparison.Ordinal))
            .Select(n => n[ResourcePrefix.Length..^Extension.Length])
            .Order(StringComparer.Ordinal)];

    /// <summary>The YAML text of an embedded search space ("pangaea" or "pangaea.yaml"), e.g. to store with a job.</summary>
    public static string GetEmbeddedText(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        using var stream = Assembly.GetManifestResourceStream(ResourceName(name))
            ?? throw new ArgumentException($"No embedded search space '{name}'; the embedded ones are: {string.Join(", ", ListEmbedded())}.", nameof(name));
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static string ResourceName(string name) =>
        ResourcePrefix + (name.EndsWith(Extension, StringComparison.Ordinal) ? name : name + Extension);

    private static Assembly Assembly => typeof(SearchSpaceLoader).Assembly;
}
