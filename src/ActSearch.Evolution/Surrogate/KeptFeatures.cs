using ActSearch.Expressions;

namespace ActSearch.Evolution;

/// <summary>
/// Which stored features a vector is: its kind (<c>fisher</c>), the task it was measured on, and the version of the method
/// (a change of method, such as more examples behind a spectrum, gets a new version, so older vectors are not mixed in).
/// </summary>
public sealed record FeatureKey(string Kind, string Task, int Version)
{
    public override string ToString() => $"{Kind}@{Task} (v{Version})";
}

/// <summary>One function's stored features: its fingerprint, the values, and the seconds it took to compute them.</summary>
public sealed record FunctionFeatures(Fingerprint Fingerprint, double[] Values, double Seconds);

/// <summary>
/// A feature set whose values cost real work per function (the Fisher spectrum trains nothing but runs the task's network),
/// so a host keeps them per fingerprint across jobs and processes: it hands the set what was stored before the search
/// screens (<see cref="Know"/>), and stores what the set computed (<see cref="TakeComputed"/>). Thread-safe.
/// </summary>
public interface IKeptFeatures : ISurrogateFeatures
{
    /// <summary>What a stored vector of this set is (only these vectors are handed back).</summary>
    FeatureKey Key { get; }

    /// <summary>Vectors stored earlier: a function among them is never computed again.</summary>
    void Know(IEnumerable<FunctionFeatures> stored);

    /// <summary>The vectors computed through this set since the last call (each once), for the host to store.</summary>
    IReadOnlyList<FunctionFeatures> TakeComputed();
}
