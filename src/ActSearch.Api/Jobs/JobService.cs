using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using ActSearch.Evolution;
using ActSearch.Expressions;
using ActSearch.Grains;
using ActSearch.SearchSpaces;
using ActSearch.Storage;
using JobStatus = ActSearch.Grains.JobStatus;
using StoredJob = ActSearch.Storage.JobRecord;
using StoredStatus = ActSearch.Storage.JobStatus;

namespace ActSearch.Api;

/// <summary>
/// Jobs for the API. A job that is still going is asked of its grain (live counts, what is in flight); a job in a
/// final state is read from storage (its counts from the recorded outcomes and latest checkpoint, its front worked
/// out from the evaluated candidates with the engine's rule, <see cref="Pareto.DistinctFront"/>) so listing old jobs never
/// wakes their grains, and its view is kept, since a final job never changes. Fronts per generation and the funnel always
/// come from storage. A job's objectives and their directions are read from its stored row, never from its YAML.
/// </summary>
public sealed class JobService(IGrainFactory? grains, ActSearchStorage storage, BrowseQueries browse)
{
    private const int Kept = 4096;

    /// <summary>
    /// How long a read waits for a job grain's live status. A grain busy in a long turn (breeding a huge first generation)
    /// answers late; the read then answers from storage instead of holding the request (and the UI's poll) hostage.
    /// </summary>
    public static readonly TimeSpan LiveStatusWait = TimeSpan.FromSeconds(2);

    /// <summary>The same wait for each job of a listing, which the UI polls: a page of jobs answers within it, busy grains or not.</summary>
    public static readonly TimeSpan ListStatusWait = TimeSpan.FromMilliseconds(300);

    /// <summary>
    /// How long a cancel waits for the job's final state to be stored: the grain writes the outcomes still queued first, and
    /// a long queue goes on in later turns. Within this wait the answer (and a submit right after it, which counts the
    /// owner's unfinished jobs) sees the job cancelled; past it, the answer is the job still ending.
    /// </summary>
    public static readonly TimeSpan CancelWait = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<Guid, JobView> _finalViews = new();
    private readonly ConcurrentDictionary<(Guid Job, long Candidate, int Rung), FrontEntryView> _entries = new();
    private readonly ConcurrentDictionary<Guid, FidelityOptions?> _fidelity = new(); // per job: its space parsed once, not per poll

    /// <summary>Starts a job from a validated spec; its view right after the grain accepted it.</summary>
    public async Task<JobView> SubmitAsync(JobSpec spec, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var id = Guid.NewGuid();
        var status = await Grains.GetGrain<ISearchJobGrain>(id).Submit(spec);
        var row = await storage.Jobs.GetAsync(id, cancellation) ?? throw new InvalidOperationException($"Job {id} was submitted but is not in storage.");
        return FromStatus(row, status);
    }

    /// <summary>The job, or null when no job host wrote one with this id.</summary>
    public async Task<JobView?> GetAsync(Guid id, CancellationToken cancellation)
    {
        if (_finalViews.TryGetValue(id, out var known)) return known;
        var row = await storage.Jobs.GetAsync(id, cancellation);
        return row?.Details is null ? null : await ViewAsync(row, null, cancellation);
    }

    public async Task<Paged<JobView>> ListAsync(StoredStatus? state, int page, int pageSize, CancellationToken cancellation)
    {
        var (rows, total) = await browse.ListJobsAsync(state, page, pageSize, cancellation);
        var needTally = rows.Where(r => r.Status.IsFinal() && !_finalViews.ContainsKey(r.Id)).Select(r => r.Id).ToList();
        var tallies = needTally.Count == 0 ? [] : await browse.TallyAsync(needTally, cancellation);
        var views = await Task.WhenAll(rows.Select(r => ViewAsync(r, tallies.GetValueOrDefault(r.Id), cancellation, ListStatusWait)));
        return new Paged<JobView>(views, total, page, pageSize);
    }

    /// <summary>Cancels a job that is still going; a final job is returned as it is. Null for an unknown id.</summary>
    public async Task<JobView?> CancelAsync(Guid id, CancellationToken cancellation)
    {
        var row = await storage.Jobs.GetAsync(id, cancellation);
        if (row?.Details is null) return null;
        if (row.Status.IsFinal()) return await ViewAsync(row, null, cancellation);
        var grain = Grains.GetGrain<ISearchJobGrain>(id);
        var status = await grain.Cancel();
        for (var waited = System.Diagnostics.Stopwatch.StartNew(); !status.IsFinal && waited.Elapsed < CancelWait;)
        {
            await Task.Delay(50, cancellation);
            status = await grain.GetStatus();
        }
        return status.Objectives.IsDefaultOrEmpty ? await FromStorageAsync(row, null, cancellation) : FromStatus(row, status);
    }

    /// <summary>
    /// The job's view as it changes, for the event stream: the grain's status while the job goes on (read again
    /// every <paramref name="poll"/>), storage's view once it is final. Yields the current view first.
    /// </summary>
    public async IAsyncEnumerable<JobView> WatchAsync(Guid id, TimeSpan poll, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation)
    {
        var row = await storage.Jobs.GetAsync(id, cancellation);
        if (row?.Details is null) yield break;
        JobView? last = null;
        while (!cancellation.IsCancellationRequested)
        {
            JobView view;
            if (row.Status.IsFinal() || _finalViews.ContainsKey(id))
            {
                view = await ViewAsync(row, null, cancellation);
            }
            else
            {
                var status = await LiveStatusAsync(id, LiveStatusWait);
                if (status is null)
                {
                    // The grain is busy: what storage knows, once; after that the last view again (a hundred streams
                    // reading storage every poll while the job is busy writing would take its connections).
                    view = last ?? await FromStorageAsync(row, null, cancellation);
                }
                else if (status.IsFinal || status.Objectives.IsDefaultOrEmpty)
                {
                    // The final state is in storage once the grain says so; read the row again for its end time.
                    row = await storage.Jobs.GetAsync(id, cancellation) ?? row;
                    view = row.Status.IsFinal() ? await ViewAsync(row, null, cancellation) : FromStatus(row, status);
                }
                else
                {
                    view = FromStatus(row, status);
                }
            }
            yield return last = view;
            if (view.IsFinal) yield break;
            await Task.Delay(poll, cancellation);
        }
    }

    /// <summary>The front after <paramref name="generation"/> (default: the latest), or null for an unknown job.</summary>
    /// <exception cref="KeyNotFoundException">The job has no such generation.</exception>
    public async Task<FrontView?> FrontAsync(Guid id, int? generation, CancellationToken cancellation)
    {
        var row = await storage.Jobs.GetAsync(id, cancellation);
        if (row?.Details is null) return null;
        var space = Space(row);
        var generations = await browse.GenerationsAsync(id, cancellation);
        int g = generation ?? (generations.Count > 0 ? generations[^1] : 0);
        if (generation is { } asked && (asked < 0 || asked > (generations.Count > 0 ? generations[^1] : 0)))
            throw new KeyNotFoundException(
                $"Job {id} has no generation {asked}; it has {(generations.Count == 0 ? "none yet" : $"0 to {generations[^1]}")}.");
        var evaluated = await browse.EvaluatedAsync(id, cancellation);
        var members = Front(id, [.. evaluated.Where(e => e.Generation <= g)], space);
        return new FrontView(id, g, generations, space.Keys, space.DirectionNames, members);
    }

    /// <summary>The rejection funnel from the recorded outcomes, or null for an unknown job.</summary>
    public async Task<FunnelView?> FunnelAsync(Guid id, CancellationToken cancellation)
    {
        var row = await storage.Jobs.GetAsync(id, cancellation);
        if (row?.Details is null) return null;
        var tally = (await browse.TallyAsync([id], cancellation))[id];
        return JobFunnel.Of(id, tally, Fidelity(row, tally));
    }

    // ---- views ----

    private async Task<JobView> ViewAsync(StoredJob row, List<OutcomeTally>? tally, CancellationToken cancellation, TimeSpan? wait = null)
    {
        if (_finalViews.TryGetValue(row.Id, out var known)) return known;
        if (!row.Status.IsFinal())
        {
            if (await LiveStatusAsync(row.Id, wait ?? LiveStatusWait) is { Objectives.IsDefaultOrEmpty: false } status) return FromStatus(row, status);
        }
        return await FromStorageAsync(row, tally, cancellation);
    }

    /// <summary>The job grains; a service without them (a tool reading a store) answers reads from storage only.</summary>
    private IGrainFactory Grains => grains ?? throw new InvalidOperationException("This job service reads a store and has no job grains.");

    /// <summary>
    /// The grain's status, or null when it does not answer within <paramref name="wait"/>, cannot load the job while its
    /// database is away, or there are no grains: the caller then reads storage.
    /// </summary>
    private async Task<JobStatus?> LiveStatusAsync(Guid id, TimeSpan wait)
    {
        if (grains is null) return null;
        try
        {
            return await grains.GetGrain<ISearchJobGrain>(id).GetStatus().WaitAsync(wait);
        }
        catch (Exception e) when (e is TimeoutException or JobStoreUnavailableException)
        {
            return null;
        }
    }

    private JobView FromStatus(StoredJob row, JobStatus s)
    {
        var space = Space(row);
        return new JobView(
            row.Id, s.Name, s.Owner, row.SpaceName, State(s.State), s.Seed.ToString(CultureInfo.InvariantCulture),
            s.BudgetEvaluations, s.BudgetWallTime?.TotalSeconds, s.Generation,
            s.Scored, s.Evaluated, s.Rejected, s.Failed, s.Cancelled, s.CacheHits, s.InFlight,
            Stages(s.RejectedByStage), s.Objectives, space.Keys.SequenceEqual(s.Objectives) ? space.DirectionNames : [],
            s.BestPerObjective.ToDictionary(kv => kv.Key, kv => Entry(row.Id, kv.Value), StringComparer.Ordinal),
            row.CreatedAt, s.StartedAt, s.FinishedAt, s.RunningTime.TotalSeconds, s.Error,
            s.Rungs.IsDefaultOrEmpty ? [] : [.. s.Rungs.Select(r => new RungView(r.Rung, r.Training, r.Scored, r.Evaluated, r.Promoted, null))]);
    }

    private async Task<JobView> FromStorageAsync(StoredJob row, List<OutcomeTally>? tally, CancellationToken cancellation)
    {
        tally ??= (await browse.TallyAsync([row.Id], cancellation))[row.Id];
        var progress = await browse.LatestProgressAsync(row.Id, cancellation);
        var space = Space(row);
        var evaluated = await browse.EvaluatedAsync(row.Id, cancellation);
        var front = Front(row.Id, evaluated, space);
        long Count(string kind) => tally.Where(t => t.Kind == kind && t.Rung == 0).Sum(t => t.Count); // candidates: their lowest rung
        var byStage = tally.Where(t => t.Kind == "rejected" && t.Rung == 0).GroupBy(t => t.Stage ?? "")
            .ToDictionary(g => g.Key, g => g.Sum(t => t.Count), StringComparer.Ordinal);
        var best = new Dictionary<string, FrontEntryView>(StringComparer.Ordinal);
        for (int k = 0; k < space.Keys.Length; k++)
        {
            FrontEntryView? winner = null;
            foreach (var m in front) // in id order: ties go to the oldest, as the engine's
                if (winner is null || Pareto.Cost(m.Objectives[k], space.Directions[k]) < Pareto.Cost(winner.Objectives[k], space.Directions[k])) winner = m;
            if (winner is not null) best[space.Keys[k]] = winner;
        }
        var view = new JobView(
            row.Id, row.Name, row.Owner, row.SpaceName, StoredState(row.Status), row.Seed.ToString(CultureInfo.InvariantCulture),
            row.Budget.Evaluations, row.Budget.WallTime?.TotalSeconds, progress?.Generation ?? 0,
            progress?.Scored ?? Count("evaluated") + Count("rejected") + Count("failed"),
            Count("evaluated"), Count("rejected"), Count("failed"), Count("cancelled"), progress?.CacheHits ?? 0, 0,
            byStage, space.Keys, space.DirectionNames, best, row.CreatedAt, row.StartedAt, row.FinishedAt, RunningTime(row.Details), row.Error,
            JobFunnel.Rungs(tally, Fidelity(row, tally)));
        if (row.Status.IsFinal())
        {
            if (_finalViews.Count >= Kept) _finalViews.Clear();
            _finalViews[row.Id] = view;
        }
        return view;
    }

    /// <summary>The non-dominated evaluated candidates (equal objective vectors: the oldest), in id order.</summary>
    /// <summary>The front of the highest fidelity rung any candidate was evaluated at (the only rung without rungs), as the engine's.</summary>
    private List<FrontEntryView> Front(Guid jobId, List<EvaluatedCandidate> evaluated, SpaceInfo space)
    {
        int width = space.Keys.Length;
        var rows = evaluated.Where(e => e.Objectives.Length == width && width > 0).ToList();
        int top = rows.Count == 0 ? 0 : rows.Max(e => e.Rung);
        rows.RemoveAll(e => e.Rung != top);
        return [.. Pareto.DistinctFront([.. rows.Select(e => (IReadOnlyList<double>)e.Objectives)], space.Directions).Select(i => Entry(jobId, rows[i]))];
    }

    private FrontEntryView Entry(Guid jobId, EvaluatedCandidate e) => Cached(jobId, e.CandidateId, () =>
    {
        var genome = GraphJson.Deserialize(e.RefinedGenomeJson ?? e.GenomeJson);
        var fingerprint = e.RefinedGenomeJson is null ? e.Fingerprint : Fingerprint.Of(genome);
        return View(e.CandidateId, e.Generation, fingerprint, genome, e.Objectives, e.Rung);
    }, e.Rung);

    private FrontEntryView Entry(Guid jobId, FrontEntry f) => Cached(jobId, f.CandidateId, () =>
        View(f.CandidateId, f.Generation, Fingerprint.Of(f.Genome), f.Genome, f.Objectives, f.Rung), f.Rung);

    /// <summary>A front entry as people read it: the genome's canonical form, as text and typeset.</summary>
    private static FrontEntryView View(long candidateId, int generation, Fingerprint fingerprint, Expr genome, ImmutableArray<double> objectives, int rung)
    {
        var canonical = Canonicalizer.Canonicalize(genome);
        return new FrontEntryView(candidateId, generation, fingerprint.ToString(), TextPrinter.Print(canonical), LatexPrinter.Print(canonical), objectives, rung);
    }

    private FrontEntryView Cached(Guid jobId, long candidateId, Func<FrontEntryView> make, int rung)
    {
        if (_entries.TryGetValue((jobId, candidateId, rung), out var known)) return known;
        if (_entries.Count >= Kept * 16) _entries.Clear();
        return _entries[(jobId, candidateId, rung)] = make();
    }

    /// <summary>
    /// The job's fidelity rungs, read from its space (once per job) when its outcomes show more than one rung (rungs are not a
    /// column); null for a job without rungs.
    /// </summary>
    private FidelityOptions? Fidelity(StoredJob row, IReadOnlyCollection<OutcomeTally> tally)
    {
        if (!tally.Any(t => t.Rung > 0)) return null;
        if (_fidelity.TryGetValue(row.Id, out var known)) return known;
        if (_fidelity.Count >= Kept) _fidelity.Clear();
        return _fidelity[row.Id] = SearchSpaceLoader.TryLoadFromText(row.SpaceYaml, "space.yaml", out var space, out _) ? space.Evolution.Fidelity : null;
    }

    private sealed record SpaceInfo(ImmutableArray<string> Keys, ImmutableArray<ObjectiveDirection> Directions)
    {
        public IReadOnlyList<string> DirectionNames => [.. Directions.Select(CatalogEndpoints.Direction)];
    }

    /// <summary>The job's objectives (keys and directions) as stored with it; none for a job whose space did not load.</summary>
    private static SpaceInfo Space(StoredJob row) => new(
        [.. row.Objectives.Select(o => o.Key)],
        [.. row.Objectives.Select(o => o.Maximize ? ObjectiveDirection.Maximize : ObjectiveDirection.Minimize)]);

    private static Dictionary<string, long> Stages(ImmutableDictionary<string, long> byStage) => new(byStage, StringComparer.Ordinal);

    private static double RunningTime(string? details)
    {
        if (details is null) return 0;
        try
        {
            using var doc = JsonDocument.Parse(details);
            return doc.RootElement.TryGetProperty("runningTimeTicks", out var t) && t.ValueKind == JsonValueKind.Number
                ? TimeSpan.FromTicks(t.GetInt64()).TotalSeconds
                : 0;
        }
        catch (JsonException)
        {
            return 0;
        }
    }


    public static string State(JobState s) => s.ToString().ToLowerInvariant();

    public static string StoredState(StoredStatus s) => s.ToString().ToLowerInvariant();
}
