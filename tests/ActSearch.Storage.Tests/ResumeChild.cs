using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using ActSearch.Evolution;
using ActSearch.Expressions;

namespace ActSearch.Storage.Tests;

/// <summary>
/// The child process of the resume test: a pinned-seed curve-fitting search that checkpoints every generation to
/// the database in ACTSEARCH_DB, resuming from the job's latest checkpoint when there is one. This is the loop a
/// real host runs, cut down: one transaction per generation holds the candidates, outcomes, scores, front,
/// checkpoint and catalog sightings, so a kill at any instant leaves either all of a generation or none of it.
/// <para>Usage: <c>resume-child JOB_ID [--hang-after N]</c>. With --hang-after, once N generations are stored it stops
/// halfway through the next one (half its candidates told, nothing of it written), prints "hanging" and waits to be killed.</para>
/// </summary>
internal static class ResumeChild
{
    public const ulong Seed = 20240601;

    /// <summary>Small enough to finish in about a second, long enough for several generations.</summary>
    public static EvolutionOptions Options { get; } = SymbolicRegression.DefaultOptions with
    {
        Selection = SymbolicRegression.DefaultOptions.Selection with { PopulationSize = 40, OffspringPerGeneration = 20 },
        ConstantOptimization = SymbolicRegression.DefaultOptions.ConstantOptimization with { Iterations = 8 },
        Budget = new Budget(Evaluations: 400),
    };

    public static async Task<int> RunAsync(string[] args)
    {
        if (args is not ["resume-child", var jobText, ..] || !Guid.TryParse(jobText, out var jobId))
        {
            Console.Error.WriteLine($"usage: resume-child JOB_ID [--hang-after GENERATION] (got: {string.Join(' ', args)})");
            return 2;
        }
        int? hangAfter = args is [_, _, "--hang-after", var g] ? int.Parse(g, CultureInfo.InvariantCulture) : null;
        try
        {
            // The parent passes the test database as ACTSEARCH_DB, as a host would read it.
            await using var storage = await ActSearchStorage.OpenAsync(new StorageOptions { ConnectionString = Environment.GetEnvironmentVariable("ACTSEARCH_DB") });
            await RunJobAsync(storage, jobId, hangAfter);
            return 0;
        }
        catch (StorageException e)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
    }

    private static async Task RunJobAsync(ActSearchStorage storage, Guid jobId, int? hangAfter)
    {
        await storage.Jobs.CreateAsync(new JobRecord(jobId, "resume-test", "curve-fit", "target: x * sigmoid(1.702 * x)\n", Seed,
            JobStatus.Queued, new JobBudget(Options.Budget.Evaluations), "test", DateTimeOffset.UtcNow));
        await storage.Jobs.SetStatusAsync(jobId, JobStatus.Running);

        EvolutionEngine engine;
        if (await storage.Checkpoints.LatestAsync(jobId) is { } checkpoint)
        {
            engine = EvolutionEngine.Resume(Options, EngineState.FromJson(checkpoint.EngineStateJson));
            Console.WriteLine($"resumed at generation {checkpoint.Generation}");
        }
        else engine = new EvolutionEngine(Options, Seed);

        var (xs, ys) = SymbolicRegression.Sample(ExprParser.Parse("x * sigmoid(1.702 * x)"), -3, 3, 40);
        var scorer = new CurveFitScorer(xs, ys, Options.ConstantOptimization, Seed);
        while (!engine.IsFinished)
        {
            var batch = engine.Ask(int.MaxValue);
            if (batch.Count == 0) break;
            var told = new List<(Candidate Candidate, CandidateOutcome Outcome, TimeSpan Spent)>();
            foreach (var c in batch)
            {
                if (hangAfter is { } h && engine.Statistics.GenerationsCompleted == h && told.Count == batch.Count / 2)
                {
                    Console.WriteLine("hanging");
                    Thread.Sleep(Timeout.Infinite); // killed here, mid-generation, with told outcomes only in memory
                }
                var clock = Stopwatch.StartNew();
                var outcome = scorer.Score(c);
                engine.Tell(c.Id, outcome);
                told.Add((c, outcome, clock.Elapsed));
            }
            await storage.WriteAsync(Generation(jobId, engine, told));
        }
        await storage.Jobs.SetStatusAsync(jobId, JobStatus.Finished);
        Console.WriteLine($"done after generation {engine.ExportState().Generation}");
    }

    /// <summary>One generation's records, with the engine's checkpoint and front after it.</summary>
    private static StorageBatch Generation(Guid jobId, EvolutionEngine engine, List<(Candidate Candidate, CandidateOutcome Outcome, TimeSpan Spent)> told)
    {
        var state = engine.ExportState();
        var objectives = Options.Objectives.Select(o => o.Key).ToImmutableArray();
        var evaluated = told.Where(t => t.Outcome is CandidateOutcome.Evaluated).ToList();
        return new StorageBatch
        {
            Candidates = [.. told.Select(t => new CandidateRecord(jobId, t.Candidate.Id, t.Candidate.Generation, TextPrinter.Print(t.Candidate.Genome),
                GraphJson.Serialize(t.Candidate.Genome), t.Candidate.Fingerprint, t.Candidate.ParentIds, t.Candidate.Operator))],
            Outcomes = [.. told.Select(t => Outcome(jobId, t.Candidate.Id, t.Outcome, t.Spent))],
            Scores = [.. evaluated.SelectMany(t => ((CandidateOutcome.Evaluated)t.Outcome).Objectives.Select((v, k) =>
                new ScoreRecord(jobId, t.Candidate.Id, objectives[k], null, v, (long)Seed, "cpu", t.Spent.TotalMilliseconds)))],
            Front = new FrontSnapshot(jobId, state.Generation, objectives,
                [.. engine.Front.Select(m => new FrontMember(m.Candidate.Id, ((CandidateOutcome.Evaluated)m.Outcome).Objectives))]),
            Checkpoint = new Checkpoint(jobId, state.Generation, state.ToJson(), state.Rng),
            Catalog = [.. evaluated.Select(t => new CatalogObservation(t.Candidate.Fingerprint, TextPrinter.Print(t.Candidate.Genome), jobId, t.Candidate.Id,
                [.. ((CandidateOutcome.Evaluated)t.Outcome).Objectives.Select((v, k) => new ObservedScore(objectives[k], null, v, ScoreGoal.Minimize))]))],
        };
    }

    private static OutcomeRecord Outcome(Guid job, long id, CandidateOutcome o, TimeSpan spent) => o switch
    {
        CandidateOutcome.Evaluated => new OutcomeRecord.Evaluated(job, id, spent),
        CandidateOutcome.Rejected r => new OutcomeRecord.Rejected(job, id, r.Stage, r.Reason, spent),
        CandidateOutcome.Failed f => new OutcomeRecord.Failed(job, id, f.Error, spent),
        _ => new OutcomeRecord.Cancelled(job, id, spent),
    };
}
