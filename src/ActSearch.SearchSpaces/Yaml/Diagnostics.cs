using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ActSearch.SearchSpaces.Yaml;

/// <summary>Collects errors for one file, so a user sees every problem in one run instead of one per run.</summary>
internal sealed class Diagnostics(string file)
{
    private readonly List<SearchSpaceError> _errors = [];

    public string File { get; } = file;

    public IReadOnlyList<SearchSpaceError> Errors => _errors;

    public bool HasErrors => _errors.Count > 0;

    public void Add(YamlNode node, string message) => Add(node.Start, message);

    public void Add(Mark mark, string message) => Add(mark.Line, mark.Column, message);

    /// <summary>Lines and columns are clamped to 1: a parser's "no position" must still read as a position.</summary>
    public void Add(long line, long column, string message) =>
        _errors.Add(new SearchSpaceError(File, Clamp(line), Clamp(column), message));

    /// <summary>Errors in file order (sections are validated in schema order, which is not always file order).</summary>
    public IReadOnlyList<SearchSpaceError> Sorted() =>
        [.. _errors.Select((e, i) => (e, i)).OrderBy(p => p.e.Line).ThenBy(p => p.e.Column).ThenBy(p => p.i).Select(p => p.e)];

    private static int Clamp(long v) => v < 1 ? 1 : v > int.MaxValue ? int.MaxValue : (int)v;
}
