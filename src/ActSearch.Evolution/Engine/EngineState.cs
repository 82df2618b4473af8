using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ActSearch.Expressions;

namespace ActSearch.Evolution;

/// <summary>A candidate and how it ended.</summary>
public sealed record ScoredCandidate(Candidate Candidate, CandidateOutcome Outcome);

/// <summary>A candidate of the unfinished generation: its outcome when it has one, the candidate it duplicates when it waits on one.</summary>
public sealed record PendingCandidate(Candidate Candidate, CandidateOutcome? Outcome, long? WaitingFor, bool Scored);

public sealed record CachedOutcome(CacheKey Key, CandidateOutcome Outcome);

/// <summary>One fidelity rung of a checkpoint: who was evaluated there (in order), who was promoted, how many were scored there.</summary>
public sealed record RungState(ImmutableArray<ScoredCandidate> Evaluated, ImmutableArray<long> Promoted, long Scored);

/// <summary>
/// A checkpoint of an <see cref="EvolutionEngine"/>: population, front, the unfinished generation, counters,
/// the generator's state and (optionally) the fingerprint cache. <see cref="ToJson"/> and <see cref="FromJson"/>
/// round-trip it exactly: genomes keep their node sharing and every number its bits.
/// </summary>
public sealed record EngineState
{
    public const int CurrentVersion = 1;

    public int Version { get; init; } = CurrentVersion;

    public int Generation { get; init; }

    public long NextCandidateId { get; init; }

    public ImmutableArray<ulong> Rng { get; init; } = [];

    public bool Stopped { get; init; }

    public int IdleGenerations { get; init; }

    public EngineStatistics Statistics { get; init; } = new(0, 0, 0, 0, 0, 0, 0);

    public ImmutableArray<ScoredCandidate> Population { get; init; } = [];

    public ImmutableArray<ScoredCandidate> Front { get; init; } = [];

    /// <summary>The generation in progress; null between generations.</summary>
    public ImmutableArray<PendingCandidate>? Current { get; init; }

    public ImmutableArray<CachedOutcome> Cache { get; init; } = [];

    /// <summary>Steady state: what each child's generator derives from (with its id); null for a generational search.</summary>
    public ulong? ChildSeed { get; init; }

    /// <summary>Steady state: bred children ended since the last generation boundary.</summary>
    public int ChildrenEnded { get; init; }

    /// <summary>Fidelity rungs, lowest first; empty for a search without rungs.</summary>
    public ImmutableArray<RungState> Rungs { get; init; } = [];

    /// <summary>The surrogate's observations in order (warm-start values first); empty for a search without one.</summary>
    public ImmutableArray<SurrogatePoint> Surrogate { get; init; } = [];

    public string ToJson() => EngineStateJson.Write(this).ToJsonString();

    public static EngineState FromJson(string json) =>
        EngineStateJson.Read(JsonNode.Parse(json) ?? throw new FormatException("Empty engine state."));
}

/// <summary>The JSON form of checkpoints. Genomes use <see cref="GraphJson"/> (node list, index children).</summary>
public static class EngineStateJson
{
    public static JsonObject Write(EngineState s)
    {
        var o = new JsonObject
        {
            ["version"] = s.Version,
            ["generation"] = s.Generation,
            ["nextCandidateId"] = s.NextCandidateId,
            // As strings: 64-bit words do not survive readers that parse JSON numbers as doubles.
            ["rng"] = new JsonArray([.. s.Rng.Select(w => (JsonNode)w.ToString(CultureInfo.InvariantCulture))]),
            ["stopped"] = s.Stopped,
            ["idleGenerations"] = s.IdleGenerations,
            ["statistics"] = new JsonObject
            {
                ["scored"] = s.Statistics.Scored,
                ["cacheHits"] = s.Statistics.CacheHits,
                ["evaluated"] = s.Statistics.Evaluated,
                ["rejected"] = s.Statistics.Rejected,
                ["failed"] = s.Statistics.Failed,
                ["cancelled"] = s.Statistics.Cancelled,
                ["generationsCompleted"] = s.Statistics.GenerationsCompleted,
            },
            ["population"] = new JsonArray([.. s.Population.Select(m => (JsonNode)Scored(m))]),
            ["front"] = new JsonArray([.. s.Front.Select(m => (JsonNode)Scored(m))]),
            ["current"] = s.Current is { } cur ? new JsonArray([.. cur.Select(p => (JsonNode)Pending(p))]) : null,
            ["cache"] = new JsonArray([.. s.Cache.Select(c => (JsonNode)WithRung(new JsonObject
            {
                ["fingerprint"] = c.Key.Fingerprint.ToString(),
                ["parameters"] = c.Key.Parameters,
                ["outcome"] = Outcome(c.Outcome),
            }, c.Key.Rung))]),
        };
        if (s.Rungs.Length > 0)
            o["rungs"] = new JsonArray([.. s.Rungs.Select(r => (JsonNode)new JsonObject
            {
                ["evaluated"] = new JsonArray([.. r.Evaluated.Select(m => (JsonNode)Scored(m))]),
                ["promoted"] = new JsonArray([.. r.Promoted.Select(id => (JsonNode)id)]),
                ["scored"] = r.Scored,
            })]);
        if (s.Surrogate.Length > 0)
            o["surrogate"] = new JsonArray([.. s.Surrogate.Select(p => (JsonNode)new JsonObject
            {
                ["genome"] = GraphJson.ToJson(p.Genome),
                ["cost"] = Number(p.Cost),
                ["warm"] = p.Warm,
            })]);
        if (s.ChildSeed is { } seed)
        {
            o["childSeed"] = seed.ToString(CultureInfo.InvariantCulture);
            o["childrenEnded"] = s.ChildrenEnded;
        }
        return o;
    }

    public static EngineState Read(JsonNode json)
    {
        try
        {
            int version = Int(json, "version");
            if (version != EngineState.CurrentVersion) throw new FormatException($"Engine state version {version} is not supported.");
            var st = json["statistics"] ?? throw new FormatException("No 'statistics'.");
            var current = json["current"] is JsonArray cur ? cur.Select(n => ReadPending(n!)).ToImmutableArray() : (ImmutableArray<PendingCandidate>?)null;
            return new EngineState
            {
                Version = version,
                Generation = Int(json, "generation"),
                NextCandidateId = Long(json, "nextCandidateId"),
                Rng = [.. Array(json, "rng").Select(n => ulong.Parse((string)n!, CultureInfo.InvariantCulture))],
                Stopped = (bool?)json["stopped"] ?? false,
                IdleGenerations = Int(json, "idleGenerations"),
                Statistics = new EngineStatistics(Long(st, "scored"), Long(st, "cacheHits"), Long(st, "evaluated"),
                    Long(st, "rejected"), Long(st, "failed"), Long(st, "cancelled"), Int(st, "generationsCompleted")),
                Population = [.. Array(json, "population").Select(n => ReadScored(n!))],
                Front = [.. Array(json, "front").Select(n => ReadScored(n!))],
                Current = current,
                Cache = [.. Array(json, "cache").Select(n => new CachedOutcome(
                    new CacheKey(Fingerprint.Parse((string)n!["fingerprint"]!), Int(n, "parameters"), (int?)n["rung"] ?? 0),
                    ReadOutcome(n["outcome"]!)))],
                ChildSeed = json["childSeed"] is JsonNode seed ? ulong.Parse((string)seed!, CultureInfo.InvariantCulture) : null,
                ChildrenEnded = (int?)json["childrenEnded"] ?? 0,
                Rungs = json["rungs"] is JsonArray rungs
                    ? [.. rungs.Select(r => new RungState(
                        [.. Array(r!, "evaluated").Select(n => ReadScored(n!))],
                        [.. Array(r!, "promoted").Select(n => (long)n!)],
                        Long(r!, "scored")))]
                    : [],
                Surrogate = json["surrogate"] is JsonArray points
                    ? [.. points.Select(p => new SurrogatePoint(
                        GraphJson.FromJson(p!["genome"] ?? throw new FormatException("A surrogate point has no genome.")),
                        ReadNumber(p["cost"]), (bool?)p["warm"] ?? false))]
                    : [],
            };
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or JsonException or NullReferenceException or OverflowException)
        {
            throw new FormatException($"Malformed engine state: {e.Message}", e);
        }
    }

    /// <summary>Adds "rung" when not the lowest (checkpoints of searches without rungs stay as they were).</summary>
    private static JsonObject WithRung(JsonObject o, int rung)
    {
        if (rung != 0) o["rung"] = rung;
        return o;
    }

    public static JsonObject Candidate(Candidate c) => WithRung(new()
    {
        ["id"] = c.Id,
        ["generation"] = c.Generation,
        ["parents"] = new JsonArray([.. c.ParentIds.Select(p => (JsonNode)p)]),
        ["operator"] = c.Operator,
        ["fingerprint"] = c.Fingerprint.ToString(),
        ["genome"] = GraphJson.ToJson(c.Genome),
    }, c.Rung);

    public static Candidate ReadCandidate(JsonNode n) => new(
        Long(n, "id"),
        GraphJson.FromJson(n["genome"] ?? throw new FormatException("Candidate has no genome.")),
        Int(n, "generation"),
        [.. Array(n, "parents").Select(p => (long)p!)],
        (string?)n["operator"] ?? throw new FormatException("Candidate has no operator."),
        Fingerprint.Parse((string?)n["fingerprint"] ?? throw new FormatException("Candidate has no fingerprint.")),
        (int?)n["rung"] ?? 0);

    public static JsonObject Outcome(CandidateOutcome outcome) => outcome switch
    {
        CandidateOutcome.Evaluated e => new JsonObject
        {
            ["kind"] = "evaluated",
            ["objectives"] = new JsonArray([.. e.Objectives.Select(Number)]),
            ["refined"] = e.Refined is { } r ? GraphJson.ToJson(r) : null,
        },
        CandidateOutcome.Rejected r => new JsonObject { ["kind"] = "rejected", ["stage"] = r.Stage, ["reason"] = r.Reason },
        CandidateOutcome.Failed f => new JsonObject { ["kind"] = "failed", ["error"] = f.Error },
        _ => new JsonObject { ["kind"] = "cancelled" },
    };

    public static CandidateOutcome ReadOutcome(JsonNode n) => (string?)n["kind"] switch
    {
        "evaluated" => new CandidateOutcome.Evaluated(
            [.. Array(n, "objectives").Select(ReadNumber)],
            n["refined"] is JsonNode r ? GraphJson.FromJson(r) : null),
        "rejected" => new CandidateOutcome.Rejected((string)n["stage"]!, (string)n["reason"]!),
        "failed" => new CandidateOutcome.Failed((string)n["error"]!),
        "cancelled" => CandidateOutcome.Cancelled.Instance,
        var k => throw new FormatException($"Unknown outcome kind '{k}'."),
    };

    private static JsonObject Scored(ScoredCandidate m) => new()
    {
        ["candidate"] = Candidate(m.Candidate),
        ["outcome"] = Outcome(m.Outcome),
    };

    private static ScoredCandidate ReadScored(JsonNode n) =>
        new(ReadCandidate(n["candidate"]!), ReadOutcome(n["outcome"]!));

    private static JsonObject Pending(PendingCandidate p) => new()
    {
        ["candidate"] = Candidate(p.Candidate),
        ["outcome"] = p.Outcome is { } o ? Outcome(o) : null,
        ["waitingFor"] = p.WaitingFor,
        ["scored"] = p.Scored,
    };

    private static PendingCandidate ReadPending(JsonNode n) => new(
        ReadCandidate(n["candidate"]!),
        n["outcome"] is JsonNode o ? ReadOutcome(o) : null,
        (long?)n["waitingFor"],
        (bool?)n["scored"] ?? false);

    private static JsonNode Number(double v) => JsonNumbers.Write(v);

    private static double ReadNumber(JsonNode? n) => JsonNumbers.Read(n);

    private static int Int(JsonNode n, string name) => (int?)n[name] ?? throw new FormatException($"No '{name}'.");

    private static long Long(JsonNode n, string name) => (long?)n[name] ?? throw new FormatException($"No '{name}'.");

    private static JsonArray Array(JsonNode n, string name) => n[name] as JsonArray ?? throw new FormatException($"No '{name}' array.");
}
