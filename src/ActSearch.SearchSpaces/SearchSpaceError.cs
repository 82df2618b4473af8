namespace ActSearch.SearchSpaces;

/// <summary>One problem in a search-space file, at a 1-based line and column.</summary>
public sealed record SearchSpaceError(string File, int Line, int Column, string Message)
{
    /// <summary>The compiler-style form: <c>file:line:column: message</c>.</summary>
    public override string ToString() => $"{File}:{Line}:{Column}: {Message}";
}

/// <summary>A search-space file with at least one error; <see cref="Errors"/> holds all of them, in file order.</summary>
public sealed class SearchSpaceException : Exception
{
    public SearchSpaceException(IReadOnlyList<SearchSpaceError> errors)
        : base(Describe(errors)) => Errors = errors;

    public IReadOnlyList<SearchSpaceError> Errors { get; }

    private static string Describe(IReadOnlyList<SearchSpaceError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (errors.Count == 0) throw new ArgumentException("A search-space exception needs at least one error.", nameof(errors));
        return string.Join(Environment.NewLine, errors);
    }
}
