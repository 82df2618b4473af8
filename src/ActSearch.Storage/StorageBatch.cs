namespace ActSearch.Storage;

/// <summary>
/// Everything one step of a search produces, written in ONE transaction by <see cref="ActSearchStorage.WriteAsync"/>:
/// either all of it is stored or none. A generation's end is typically one batch (its candidates, outcomes, scores,
/// the front, the checkpoint and the catalog sightings), so a crash never leaves a checkpoint without the
/// candidates it names, or candidates without the checkpoint that would re-create them.
/// </summary>
public sealed record StorageBatch
{
    public IReadOnlyList<CandidateRecord> Candidates { get; init; } = [];

    public IReadOnlyList<OutcomeRecord> Outcomes { get; init; } = [];

    public IReadOnlyList<ScoreRecord> Scores { get; init; } = [];

    public FrontSnapshot? Front { get; init; }

    public Checkpoint? Checkpoint { get; init; }

    public IReadOnlyList<CatalogObservation> Catalog { get; init; } = [];

    public bool IsEmpty => Candidates.Count == 0 && Outcomes.Count == 0 && Scores.Count == 0 && Front is null && Checkpoint is null && Catalog.Count == 0;
}
