using ActSearch.Expressions;

namespace ActSearch.Storage.Tests;

/// <summary>Small, valid records to store. Timestamps are whole microseconds (PostgreSQL's resolution).</summary>
internal static class Samples
{
    public static readonly DateTimeOffset Created = new(2025, 3, 1, 12, 30, 15, 123, TimeSpan.Zero);

    public static JobRecord Job(Guid? id = null, string name = "swish-search") => new(
        id ?? Guid.NewGuid(), name, "swish", "name: swish\nrepresentation: tree\n", 0xFEDC_BA98_7654_3210UL, JobStatus.Queued,
        new JobBudget(1000, TimeSpan.FromHours(2)), "alice", Created);

    public static CandidateRecord Candidate(Guid job, long id, string formula = "x * sigmoid(x)", int generation = 0, params long[] parents) =>
        CandidateRecord.Of(job, id, generation, ExprParser.Parse(formula), parents, parents.Length == 0 ? "init" : "mutate");

    public static ScoreRecord Score(Guid job, long candidate, double value, string objective = "accuracy", string? task = "fmnist-cnn") =>
        new(job, candidate, objective, task, value, 7, "cpu", 1234.5);

    public static async Task<Guid> NewJobAsync(ActSearchStorage storage)
    {
        var job = Job();
        await storage.Jobs.CreateAsync(job);
        return job.Id;
    }
}
