using ActSearch.SearchSpaces;

namespace ActSearch.Cli;

/// <summary>A search space named on the command line: a YAML file, or the name of a built-in space.</summary>
internal static class SpaceArgument
{
    /// <summary>The YAML text and the file name its errors will carry.</summary>
    public static (string Yaml, string FileName) Read(string arg)
    {
        if (File.Exists(arg))
        {
            try
            {
                return (File.ReadAllText(arg), arg);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"cannot read {arg}: {e.Message}");
            }
        }
        string name = arg.EndsWith(".yaml", StringComparison.Ordinal) ? arg[..^5] : arg;
        if (SearchSpaceLoader.ListEmbedded().Contains(name))
            return (SearchSpaceLoader.GetEmbeddedText(name), name + ".yaml");
        throw new UsageException($"{arg}: no such file, and no built-in search space of that name ({string.Join(", ", SearchSpaceLoader.ListEmbedded())}).");
    }

    /// <summary>A budget in words: "200 evaluations", "200 evaluations or 02:00:00", "unlimited".</summary>
    public static string Describe(int? evaluations, TimeSpan? wallTime) => (evaluations, wallTime) switch
    {
        ({ } n, { } t) => $"{n} evaluations or {t}",
        ({ } n, null) => $"{n} evaluations",
        (null, { } t) => t.ToString(),
        _ => "unlimited",
    };
}
