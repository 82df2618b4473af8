using System.Collections.Immutable;
using ActSearch.Evaluation.Objectives;
using ActSearch.Evaluation.Tasks;

namespace ActSearch.SearchSpaces;

/// <summary>What the loader accepts besides the schema itself.</summary>
public sealed record SearchSpaceLoadOptions
{
    public static SearchSpaceLoadOptions Default { get; } = new();

    /// <summary>Proxy task names that <c>tasks:</c>, objectives and the quality probe may name (the task catalog's).</summary>
    public ImmutableArray<string> Tasks { get; init; } = TaskCatalog.Names;

    /// <summary>The objectives a space may name, with their directions (the objective registry's).</summary>
    public ImmutableArray<ObjectiveDefinition> Objectives { get; init; } = ObjectiveRegistry.All;

    /// <summary>Largest accepted file, in bytes for files and characters for text (guards against huge documents).</summary>
    public int MaxFileSize { get; init; } = 1 << 20;

    /// <summary>Deepest accepted nesting of mappings and sequences (the schema needs 4; this stops stack-exhausting input).</summary>
    public int MaxNesting { get; init; } = 32;
}
