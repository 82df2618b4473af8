using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace ActSearch.SearchSpaces.Yaml;

/// <summary>
/// Passes YAML events through and stops at what a search space never needs but an attacker could use:
/// anchors and aliases (the "billion laughs" bomb), explicit tags, deep nesting (the representation model
/// loads nested nodes recursively, so unbounded nesting could exhaust the stack) and endless event streams.
/// It also turns the scanner's own crashes on some malformed text (InvalidOperationException on
/// <c>": [\nt]"</c> in YamlDotNet 16.3, cf. aaubry/YamlDotNet#541) into positioned <see cref="YamlException"/>s.
/// </summary>
internal sealed class GuardedParser(IParser inner, int maxNesting, int maxEvents) : IParser
{
    private int _depth;
    private int _events;

    public ParsingEvent? Current => inner.Current;

    /// <summary>End of the last event read: where a parser crash is reported.</summary>
    public Mark LastMark { get; private set; } = Mark.Empty;

    public bool MoveNext()
    {
        bool more;
        try
        {
            more = inner.MoveNext();
        }
        catch (Exception e) when (e is not YamlException and not OutOfMemoryException)
        {
            throw new YamlException(LastMark, LastMark, "the text after this point is not valid YAML.", e);
        }
        if (!more) return false;
        var ev = inner.Current!;
        LastMark = ev.End;
        if (++_events > maxEvents) throw new YamlException(ev.Start, ev.End, $"more than {maxEvents} YAML nodes.");
        switch (ev)
        {
            case AnchorAlias:
                throw new YamlException(ev.Start, ev.End, "aliases (*name) are not supported in search spaces; write the value out.");
            case NodeEvent n when !n.Anchor.IsEmpty:
                throw new YamlException(ev.Start, ev.End, $"anchors (&{n.Anchor}) are not supported in search spaces; write the value out.");
            case NodeEvent n when !n.Tag.IsEmpty:
                throw new YamlException(ev.Start, ev.End, $"tags ({n.Tag}) are not supported in search spaces.");
            case MappingStart or SequenceStart when ++_depth > maxNesting:
                throw new YamlException(ev.Start, ev.End, $"nested deeper than {maxNesting} levels.");
            case MappingEnd or SequenceEnd:
                _depth--;
                break;
        }
        return true;
    }
}
