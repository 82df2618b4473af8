using System.Collections.Immutable;
using System.Diagnostics;
using ActSearch.Expressions;

namespace ActSearch.Evolution;

/// <summary>
/// The search loop as ask/tell (Optuna's interface): <see cref="Ask"/> hands out candidates to score,
/// <see cref="Tell"/> takes their outcomes back in any order. Two modes (<see cref="EvolutionMode"/>):
/// <list type="bullet">
/// <item>Generational: candidates come in generations; the next generation is bred only when every candidate of the
/// current one has an outcome, and survivors are chosen in id order, so the order of tells never changes the search: one
/// seed gives one search.</item>
/// <item>Steady state: after the initial population, <see cref="Ask"/> breeds a child for every slot that asks, from the
/// population as it stands; each ended candidate joins it at once through the strategy's survival (one newcomer). Each
/// child draws from its own generator (derived from the seed and its id), so the search is a function of the order of
/// outcomes alone, and <see cref="Replay"/> rebuilds it from a checkpoint and the outcomes recorded after it.</item>
/// </list>
/// A candidate whose fingerprint was already scored takes the cached outcome without going to the scorer.
/// With fidelity rungs (<see cref="FidelityOptions"/>, steady state only), <see cref="Ask"/> hands out a promotion (a
/// candidate again, one rung up) before it breeds a new candidate; a hand-out is then a candidate at a rung, and a candidate
/// id is in flight at one rung at a time.
/// Not thread-safe: one caller (a grain, a loop) drives an engine.
/// </summary>
public sealed class EvolutionEngine
{
    private const int MaxIdleGenerations = 1000;

    /// <summary>How often a screened slot breeds a child again whose function is already known before it keeps it.</summary>
    private const int MaxSiblingDraws = 8;

    private readonly ISelectionStrategy _strategy;
    private readonly Variation _variation;
    private readonly ImmutableArray<ObjectiveDirection> _directions;
    private readonly FingerprintCache _cache;
    private readonly Rng _rng;
    private IReadOnlyList<Member> _population = [];
    private readonly List<Member> _front = []; // every non-dominated evaluated member so far, in id order
    private List<Entry>? _current;
    private readonly Dictionary<long, Entry> _byId = [];
    private readonly Dictionary<CacheKey, Entry> _leaders = [];
    private readonly List<(Candidate, CandidateOutcome)> _settled = [];
    private long _nextId;
    private int _generation;
    private int _inFlight;
    private int _idleGenerations;
    private bool _stopped;
    private long _scored, _hits, _evaluated, _rejected, _failed, _cancelled;
    private int _completed;
    // Steady state: each child's generator comes from this and its id; bred children ended since the last generation;
    // ids bred before a crash whose outcome was never recorded (found by Replay, bred again by EndReplay).
    private readonly bool _steady;
    private ulong _childSeed;
    private int _childrenEnded;
    private readonly SortedSet<long> _holes = [];
    private readonly List<Entry> _ended = [];
    // Fidelity rungs: per rung, who was evaluated there and who was promoted from it; the highest rung anyone was evaluated
    // at (the front's); hand-outs at the lowest rung not told yet (what the evaluations budget counts with _scored).
    private readonly RungBook[] _books;
    private int _topRung;
    private long _inFlightNew;
    // Surrogate pre-screening (steady state): null when the space does not ask for it.
    private readonly SurrogateModel? _surrogate;
    private bool _surrogateFeaturesSet;
    private readonly List<CandidatePrediction> _predictions = [];

    public EvolutionEngine(EvolutionOptions options, ulong seed) : this(options, new Rng(seed), resumed: false) { }

    /// <param name="resumed">The generator is a checkpoint's: it is used as it was saved (the children's seed comes from
    /// the checkpoint too), so an initial population bred after the checkpoint is the one the search bred.</param>
    private EvolutionEngine(EvolutionOptions options, Rng rng, bool resumed)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Objectives.IsDefaultOrEmpty) throw new ArgumentException("At least one objective is needed.", nameof(options));
        Options = options;
        _rng = rng;
        _strategy = ISelectionStrategy.For(options.Selection);
        _variation = new Variation(options.Genome, options.Operators);
        _directions = [.. options.Objectives.Select(o => o.Direction)];
        _cache = new FingerprintCache(options.FingerprintCacheSize);
        _steady = options.Selection.Mode == EvolutionMode.SteadyState;
        if (_steady && !resumed) _childSeed = _rng.Fork().NextUInt64();
        if (options.Fidelity.Enabled && !_steady)
            throw new ArgumentException("Fidelity rungs need the steady-state mode: promotions are asynchronous.", nameof(options));
        if (options.Fidelity.Eta <= 1 || !double.IsFinite(options.Fidelity.Eta))
            throw new ArgumentException($"The reduction factor eta must be a number above 1, not {options.Fidelity.Eta}.", nameof(options));
        _books = [.. Enumerable.Range(0, options.Fidelity.Count).Select(_ => new RungBook())];
        if (options.Surrogate is { Enabled: true } sur)
        {
            if (!_steady) throw new ArgumentException("Surrogate screening needs the steady-state mode: it breeds children per free slot.", nameof(options));
            if (sur.Candidates < 1) throw new ArgumentException($"The surrogate must breed at least 1 child per slot, not {sur.Candidates}.", nameof(options));
            if (sur.Objective < 0 || sur.Objective >= options.Objectives.Length)
                throw new ArgumentException($"The surrogate's objective {sur.Objective} is not one of the search's {options.Objectives.Length}.", nameof(options));
            _surrogate = new SurrogateModel(sur);
        }
    }

    /// <summary>Whether this engine breeds per generation or whenever a slot asks.</summary>
    public EvolutionMode Mode => _steady ? EvolutionMode.SteadyState : EvolutionMode.Generational;

    public EvolutionOptions Options { get; }

    /// <summary>The generation being scored (0 is the random initial population).</summary>
    public int Generation => _generation;

    /// <summary>Candidates asked and not yet told.</summary>
    public int InFlight => _inFlight;

    public IReadOnlyList<Member> Population => _population;

    /// <summary>The Pareto front of every evaluated candidate so far (equal objective vectors: the oldest), in id order.</summary>
    public IReadOnlyList<Member> Front => _front;

    public string StrategyName => _strategy.Name;

    public EngineStatistics Statistics => new(_scored, _hits, _evaluated, _rejected, _failed, _cancelled, _completed);

    /// <summary>
    /// Per fidelity rung, lowest first (one entry without rungs): hand-outs scored there (rung 0: <see cref="EngineStatistics.Scored"/>),
    /// candidates a scorer evaluated there (what the rung ranks for promotion; copies of a known function are not counted) and
    /// candidates promoted from it.
    /// </summary>
    public IReadOnlyList<RungStatistics> Rungs =>
    [
        .. _books.Select((b, r) => new RungStatistics(r, Options.Fidelity.Rung(r), r == 0 ? _scored : b.Scored, b.Members.Count, b.Promoted.Count)),
    ];

    /// <summary>The surrogate, when the search screens with one (<see cref="SurrogateOptions"/>); null otherwise.</summary>
    public SurrogateModel? Surrogate => _surrogate;

    /// <summary>
    /// The feature set the surrogate's model sees (what <see cref="SurrogateOptions.Features"/> asks for; a host that can
    /// compute it passes it before the search screens). Without a call, probe features, and a space that asks for others
    /// fails at its first screening.
    /// </summary>
    public void UseSurrogateFeatures(ISurrogateFeatures features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (_surrogate is null) return;
        _surrogate.Features = features;
        _surrogateFeaturesSet = true;
    }

    /// <summary>
    /// Starts the surrogate from values measured before this search (a host passes the activation catalog's values of the
    /// surrogate's objective, in the objective's own direction). Only before the first <see cref="Ask"/>; the checkpoint keeps
    /// them, so a resumed search is not warm-started again. Does nothing without a surrogate.
    /// </summary>
    public void WarmStart(IEnumerable<(Expr Genome, double Value)> measured)
    {
        ArgumentNullException.ThrowIfNull(measured);
        if (_surrogate is null) return;
        if (_nextId != 0 || _surrogate.Count != 0) throw new InvalidOperationException("A surrogate is warm-started once, before the search hands out its first candidate.");
        var direction = _directions[_surrogate.Options.Objective];
        foreach (var (genome, value) in measured) _surrogate.Observe(new SurrogatePoint(genome, Pareto.Cost(value, direction), Warm: true));
    }

    /// <summary>The highest rung any candidate was evaluated at: the rung of the front.</summary>
    public int TopRung => _topRung;

    /// <summary>
    /// When set, candidates that end without being asked — answered from the fingerprint cache or by an identical
    /// candidate of their generation, or cancelled before they were handed out — are kept for
    /// <see cref="TakeSettled"/>, so a host that records every candidate's outcome can record theirs too.
    /// Off by default: a long in-process search would only accumulate them.
    /// </summary>
    public bool KeepSettled { get; set; }

    /// <summary>
    /// The surrogate's predictions since the last call, for every child it ranked (the trained one and those screened out),
    /// kept only with <see cref="KeepSettled"/> (a host that records everything records these too). A replay makes none.
    /// </summary>
    public IReadOnlyList<CandidatePrediction> TakePredictions()
    {
        if (_predictions.Count == 0) return [];
        var taken = _predictions.ToArray();
        _predictions.Clear();
        return taken;
    }

    /// <summary>The candidates settled without being asked since the last call (see <see cref="KeepSettled"/>), in the order they ended.</summary>
    public IReadOnlyList<(Candidate Candidate, CandidateOutcome Outcome)> TakeSettled()
    {
        if (_settled.Count == 0) return [];
        var taken = _settled.ToArray();
        _settled.Clear();
        return taken;
    }

    /// <summary>True once the evaluation budget is spent or <see cref="Stop"/> was called.</summary>
    /// <remarks>With fidelity rungs, a spent budget ends the search once nothing is in flight and no candidate is left to promote.</remarks>
    public bool IsFinished => _stopped || (BudgetSpent && (_books.Length == 1 || (_inFlight == 0 && NextPromotion() is null)));

    /// <summary>No new candidate may be handed out: stopped, or the evaluations budget is spent.</summary>
    private bool NewCandidatesDone => _stopped || BudgetSpent;

    private bool BudgetSpent => Options.Budget.Evaluations is { } b && _scored >= b;

    /// <summary>Raised after a generation's survivors are chosen.</summary>
    public event Action<EvolutionEngine>? GenerationCompleted;

    /// <summary>The best evaluated member for one objective (ties: the oldest); null before any evaluation.</summary>
    public Member? Best(int objective)
    {
        Member? best = null;
        foreach (var m in _front) // the best value of every objective is on the front
            if (best is null || m.Fitness[objective] < best.Fitness[objective]) best = m;
        return best;
    }

    /// <summary>The best member per objective key.</summary>
    public IReadOnlyDictionary<string, Member> BestPerObjective()
    {
        var result = new Dictionary<string, Member>(StringComparer.Ordinal);
        for (int k = 0; k < Options.Objectives.Length; k++)
            if (Best(k) is { } m) result[Options.Objectives[k].Key] = m;
        return result;
    }

    /// <summary>
    /// Up to <paramref name="count"/> candidates to score. Fewer (even none) when the rest of the generation
    /// is in flight, the budget is spoken for, or the search is finished.
    /// </summary>
    public IReadOnlyList<Candidate> Ask(int count)
    {
        if (_steady) return AskSteady(count);
        var result = new List<Candidate>();
        while (result.Count < count && !IsFinished)
        {
            if (_current is null)
            {
                Breed();
                if (TryComplete()) continue; // the whole generation came from the cache
            }
            foreach (var e in _current!)
            {
                if (result.Count >= count || !BudgetAllowsAnother()) break;
                if (e.Status != Status.Queued) continue;
                Hand(e);
                result.Add(e.Candidate);
            }
            break;
        }
        return result;
    }

    /// <summary>The outcome of an asked candidate. Telling twice, or telling a candidate never asked, throws.</summary>
    public void Tell(long candidateId, CandidateOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (!_byId.TryGetValue(candidateId, out var e) || e.Status != Status.Asked)
            throw new InvalidOperationException($"Candidate {candidateId} is not waiting for an outcome.");
        if (outcome is CandidateOutcome.Evaluated ev && ev.Objectives.Length != _directions.Length)
            throw new ArgumentException($"Candidate {candidateId} got {ev.Objectives.Length} objective values; the search has {_directions.Length}.", nameof(outcome));
        _inFlight--;
        if (e.Candidate.Rung == 0) _inFlightNew--;
        Finish(e, outcome);
        if (outcome is CandidateOutcome.Cancelled)
        {
            if (!_stopped) Promote(e); // a duplicate waiting on it is scored instead
            else CancelWaiting(e);
        }
        else
        {
            if (e.Candidate.Rung == 0) _scored++;
            else _books[e.Candidate.Rung].Scored++;
            if (_surrogate is not null && e.Candidate.Rung == 0)
            {
                // A value, or a rejection (numeric, stability, quality ...): the function is as good as the worst measured.
                if (outcome is CandidateOutcome.Evaluated ev2)
                    _surrogate.Observe(new SurrogatePoint(e.Candidate.Genome,
                        Pareto.Cost(ev2.Objectives[_surrogate.Options.Objective], _directions[_surrogate.Options.Objective]), Warm: false));
                else if (outcome is CandidateOutcome.Rejected)
                    _surrogate.Observe(new SurrogatePoint(e.Candidate.Genome, SurrogatePoint.Rejected, Warm: false));
            }
            e.Scored = true;
            _cache.Put(e.Key, outcome);
            foreach (var w in _current!)
                if (w.Status == Status.Waiting && w.Leader == e.Candidate.Id)
                {
                    _hits++;
                    Finish(w, outcome);
                }
            _leaders.Remove(e.Key);
        }
        if (NewCandidatesDone) CancelQueued();
        if (_steady) AbsorbEnded();
        else TryComplete();
    }

    /// <summary>Stops the search: nothing more is handed out; candidates not yet asked end Cancelled. In-flight ones may still be told.</summary>
    public void Stop()
    {
        _stopped = true;
        CancelQueued();
        if (_steady) AbsorbEnded();
        else TryComplete();
    }

    /// <summary>
    /// Drives the search to its budget with one scorer: ask a generation's candidates, score them, tell the
    /// outcomes. The wall-time budget is checked between batches. Cancellation ends the in-flight batch
    /// Cancelled and throws <see cref="OperationCanceledException"/>; the engine stays usable for a checkpoint.
    /// </summary>
    public async Task<EvolutionReport> RunAsync(IScorer scorer, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        var clock = Stopwatch.StartNew();
        while (!IsFinished)
        {
            if (Options.Budget.WallTime is { } limit && clock.Elapsed >= limit)
            {
                Stop();
                break;
            }
            // Steady state: a generation's worth at a time (a loop with one scorer has no free slots to fill one by one).
            var batch = Ask(_steady ? Math.Max(1, Options.Selection.OffspringPerGeneration) : int.MaxValue);
            if (batch.Count == 0) break; // nothing can be asked and nothing is in flight: only a stop gets here
            IReadOnlyList<CandidateOutcome> outcomes;
            try
            {
                outcomes = await scorer.ScoreAsync(batch, cancellation).ConfigureAwait(false);
                if (outcomes.Count != batch.Count)
                    throw new InvalidOperationException($"The scorer returned {outcomes.Count} outcomes for {batch.Count} candidates.");
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                foreach (var c in batch) Tell(c.Id, CandidateOutcome.Cancelled.Instance);
                Stop();
                throw;
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                var failed = new CandidateOutcome.Failed($"{error.GetType().Name}: {error.Message}");
                outcomes = [.. batch.Select(_ => (CandidateOutcome)failed)];
            }
            for (int i = 0; i < batch.Count; i++) Tell(batch[i].Id, outcomes[i]);
        }
        return new EvolutionReport(Statistics, [.. _front], _population, clock.Elapsed);
    }

    private bool BudgetAllowsAnother() => Options.Budget.Evaluations is not { } b || _scored + _inFlightNew < b;

    private void Breed()
    {
        var sel = Options.Selection;
        bool initial = _generation == 0 || _population.Count == 0;
        int count = _generation == 0 ? sel.PopulationSize : sel.OffspringPerGeneration;
        // Never breed what the budget cannot score: a population of 100,000 under a budget of 4 breeds 4 (the rest would
        // only be made, fingerprinted and cancelled). A generation is bred when the one before has ended, so nothing is
        // in flight and at least one evaluation is left.
        if (Options.Budget.Evaluations is { } budget) count = (int)Math.Min(count, Math.Max(1, budget - _scored));
        _current = new List<Entry>(count);
        for (int i = 0; i < count; i++) Add(new Entry(NewCandidate(_rng, _nextId++, initial, i)));
    }

    /// <summary>
    /// A new candidate: a seed of the search space (<paramref name="index"/> below their count in generation 0), a random
    /// genome (the initial population, or a strategy that does not breed), else a child of parents the strategy picks.
    /// </summary>
    private Candidate NewCandidate(Rng rng, long id, bool initial, int index)
    {
        Offspring child;
        ImmutableArray<long> parents;
        if (_generation == 0 && index >= 0 && index < Options.InitialGenomes.Length)
        {
            // Reference points the search space names (Swish, EvoNorm-S0, ...) start in the first population.
            child = new Offspring(Options.InitialGenomes[index], "seed");
            parents = [];
        }
        else if (initial || !_strategy.Breeds)
        {
            child = new Offspring(GenomeFactory.Create(rng, Options.Genome), initial ? "init" : "random");
            parents = [];
        }
        else if (_variation.CanCross && rng.NextDouble() < Options.Selection.CrossoverRate)
        {
            var a = _strategy.SelectParent(rng, _population);
            var b = _strategy.SelectParent(rng, _population);
            child = _variation.Cross(rng, a.Genome, b.Genome);
            parents = child.Operator == "crossover" ? [a.Candidate.Id, b.Candidate.Id] : [a.Candidate.Id];
        }
        else
        {
            var a = _strategy.SelectParent(rng, _population);
            child = _variation.Mutate(rng, a.Genome);
            parents = [a.Candidate.Id];
        }
        return new Candidate(id, child.Genome, _generation, parents, child.Operator, Fingerprint.Of(child.Genome));
    }

    // ---- steady state ----

    private IReadOnlyList<Candidate> AskSteady(int count)
    {
        var result = new List<Candidate>();
        BreedInitialIfDue();
        while (result.Count < count && !IsFinished)
        {
            // A hand-out waiting from before a checkpoint first (a promotion among them), then a promotion, then a new one.
            var next = _current?.Find(e => e.Status == Status.Queued && (e.Candidate.Rung > 0 || BudgetAllowsAnother()));
            if (next is null && NextPromotion() is { } promoted)
            {
                _books[promoted.Rung].Promoted.Add(promoted.Candidate.Id);
                var trial = new Entry(promoted.Candidate with { Rung = promoted.Rung + 1 });
                _current ??= [];
                Add(trial);
                AbsorbEnded(); // a function known at that rung is answered from the cache
                if (trial.Status != Status.Queued) continue;
                next = trial;
            }
            if (next is null)
            {
                // Every candidate made so far is out: breed one more, once there is a population to breed from.
                if (NewCandidatesDone || !BudgetAllowsAnother() || (_strategy.Breeds && _population.Count == 0)) break;
                BreedChild();
                AbsorbEnded();
                continue;
            }
            Hand(next);
            result.Add(next.Candidate);
        }
        return result;
    }

    /// <summary>
    /// Steady state: the initial population as a generation of its own, bred by the first <see cref="Ask"/> and, alike,
    /// by the first <see cref="Replay"/> after a checkpoint taken before it (nothing bred: <c>_current</c> is null).
    /// </summary>
    private void BreedInitialIfDue()
    {
        if (_current is not null || NewCandidatesDone) return;
        Breed();
        AbsorbEnded(); // its known functions
    }

    /// <summary>
    /// One new child for a free slot. With a ready surrogate: <see cref="SurrogateOptions.Candidates"/> children (consecutive
    /// ids, each from its own generator, which breeds again while its child is a known function, up to
    /// <see cref="MaxSiblingDraws"/> times); those still known go the usual way (the cache, or waiting on the first), the surrogate ranks the rest, the best is queued and the others end rejected at the stage
    /// <see cref="SurrogateOptions.Stage"/> with their prediction (they neither count against the budget nor join the population).
    /// </summary>
    private void BreedChild()
    {
        if (_surrogate is { Ready: true, Options.Features: not SurrogateFeatureKind.Probe } && !_surrogateFeaturesSet)
            throw new InvalidOperationException($"The surrogate's '{_surrogate.Options.Features.ToString().ToLowerInvariant()}' features need a host that computes them (one that can train); none was given.");
        if (_surrogate is not { Ready: true } s || s.Options.Candidates <= 1)
        {
            Add(new Entry(NewCandidate(ChildRng(_nextId), _nextId++, initial: false, index: -1)));
            return;
        }
        var fresh = new List<Entry>();
        var later = new List<Entry>(); // known functions, and second copies of a fresh one
        for (int i = 0; i < s.Options.Candidates; i++)
        {
            // A child whose function is known (scored, in flight, or a sibling's) is bred again from the same generator, up to
            // a few times: k children per slot would otherwise fill the population with copies answered from the cache.
            long id = _nextId++;
            var rng = ChildRng(id);
            Entry e;
            bool known;
            int draws = 0;
            do
            {
                e = new Entry(NewCandidate(rng, id, initial: false, index: -1));
                known = _cache.TryGet(e.Key, out _) || _leaders.ContainsKey(e.Key) || fresh.Exists(f => f.Key == e.Key);
            }
            while (known && ++draws < MaxSiblingDraws);
            (known ? later : fresh).Add(e);
        }
        if (fresh.Count > 0)
        {
            var predictions = s.Predict([.. fresh.Select(e => e.Candidate.Genome)]);
            int best = 0;
            for (int i = 1; i < fresh.Count; i++)
                if (predictions[i].Acquisition > predictions[best].Acquisition) best = i; // ties: the lowest id
            Add(fresh[best]);
            var objective = Options.Objectives[s.Options.Objective];
            if (KeepSettled)
                for (int i = 0; i < fresh.Count; i++)
                    _predictions.Add(new CandidatePrediction(fresh[i].Candidate.Id, objective,
                        objective.Direction == ObjectiveDirection.Maximize ? -predictions[i].Mean : predictions[i].Mean, predictions[i].StdDev, i == best));
            for (int i = 0; i < fresh.Count; i++)
            {
                if (i == best) continue;
                var e = fresh[i];
                _current!.Add(e);
                _byId[e.Candidate.Id] = e;
                e.Screened = true;
                Finish(e, new CandidateOutcome.Rejected(SurrogateOptions.Stage, ScreenedReason(objective, predictions[i], fresh[best].Candidate.Id, fresh.Count)));
            }
        }
        foreach (var e in later)
        {
            if (fresh.Exists(f => f.Screened && f.Key == e.Key))
            {
                // A second copy of a screened-out child goes with it.
                _current!.Add(e);
                _byId[e.Candidate.Id] = e;
                e.Screened = true;
                Finish(e, fresh.First(f => f.Key == e.Key).Outcome!);
            }
            else Add(e);
        }
    }

    /// <summary>"predicted accuracy@fmnist-cnn 0.812 ± 0.009; candidate 57 of the 8 bred for the slot ranked first".</summary>
    private static string ScreenedReason(Objective objective, SurrogatePrediction p, long winner, int bred)
    {
        double mean = objective.Direction == ObjectiveDirection.Maximize ? -p.Mean : p.Mean; // back to the objective's own direction
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"predicted {objective.Key} {mean:0.####} ± {p.StdDev:0.####}; candidate {winner} of the {bred} bred for the slot ranked first");
    }

    private void Hand(Entry e)
    {
        e.Status = Status.Asked;
        _inFlight++;
        if (e.Candidate.Rung == 0) _inFlightNew++;
    }

    /// <summary>
    /// The next candidate to promote (ASHA's rule): from the highest rung below the top down, the best-ranked candidate in
    /// the top 1/eta of its rung's evaluated candidates that was not promoted yet; null when there is none (or no rungs).
    /// </summary>
    private Member? NextPromotion()
    {
        if (_stopped) return null;
        for (int r = _books.Length - 2; r >= 0; r--)
            if (_books[r].NextPromotion(Options.Fidelity.Eta, Options.Fidelity.PromoteBy) is { } m) return m;
        return null;
    }

    /// <summary>The generator of child <paramref name="id"/>: independent of when it is bred, so a replay breeds it alike.</summary>
    private Rng ChildRng(long id) => new(_childSeed ^ (0x9E3779B97F4A7C15UL * (ulong)(id + 1)));

    private static bool IsInitial(Candidate c) => c.Operator is "seed" or "init";

    /// <summary>
    /// Steady state: the ended candidates join the population one by one, in the order they ended (the strategy's
    /// survival with one newcomer; a cancelled one does not join). The initial population ending is generation 0's end;
    /// after it, every <see cref="SelectionOptions.OffspringPerGeneration"/> ended children end a generation.
    /// </summary>
    private void AbsorbEnded()
    {
        for (int k = 0; k < _ended.Count; k++)
        {
            var e = _ended[k];
            _current!.Remove(e);
            _byId.Remove(e.Candidate.Id);
            if (e.Screened) continue; // screened out by the surrogate: never trained, so it neither joins nor ends a generation
            int rung = e.Candidate.Rung;
            if (rung > 0)
            {
                // A promotion: an evaluation replaces the candidate's member (its highest rung now); anything else leaves it
                // as it was, and the candidate is not promoted again.
                if (e.Outcome is CandidateOutcome.Evaluated)
                {
                    var member = MemberOf(e.Candidate, e.Outcome);
                    if (e.Scored) _books[rung].Add(member);
                    long id = e.Candidate.Id;
                    _population = _strategy.Survive([.. _population.Where(p => p.Candidate.Id != id)], [member], Options.Selection.PopulationSize);
                }
                continue;
            }
            if (e.Outcome is not CandidateOutcome.Cancelled)
            {
                var member = MemberOf(e.Candidate, e.Outcome!);
                // A rung ranks functions a scorer measured there: a copy of a known function is not counted again.
                if (e.Outcome is CandidateOutcome.Evaluated && e.Scored && _books.Length > 1) _books[0].Add(member);
                _population = _strategy.Survive(_population, [member], Options.Selection.PopulationSize);
            }
            if (IsInitial(e.Candidate))
            {
                if (_generation == 0 && !_current.Any(p => IsInitial(p.Candidate))) EndGeneration();
                continue;
            }
            // A search whose every child is a known function has converged; stop rather than spin.
            _idleGenerations = e.Scored ? 0 : _idleGenerations + 1;
            if (_idleGenerations >= MaxIdleGenerations * Math.Max(1, Options.Selection.OffspringPerGeneration)) _stopped = true;
            if (++_childrenEnded >= Math.Max(1, Options.Selection.OffspringPerGeneration))
            {
                _childrenEnded = 0;
                EndGeneration();
            }
        }
        _ended.Clear();
        if (_stopped) CancelQueued(); // a convergence stop leaves nothing queued
        if (_ended.Count > 0) AbsorbEnded();
    }

    private void EndGeneration()
    {
        _generation++;
        _completed++;
        GenerationCompleted?.Invoke(this);
    }

    /// <summary>
    /// Steady state: rebuilds the search from its checkpoint (<see cref="Resume"/>) and the outcomes recorded after it, in
    /// the order they were told (<paramref name="cached"/>: a known function's or a duplicate's copied outcome; a
    /// cancellation: never handed out). Candidates bred after the checkpoint are taken as recorded (each child's generator
    /// depends only on its id, and the population on the order of outcomes). Call <see cref="EndReplay"/> after the last.
    /// </summary>
    /// <returns>False for an outcome the checkpoint already counts (a candidate that ended before it), which changes nothing.</returns>
    /// <exception cref="InvalidOperationException">Not steady state, or the outcome does not fit the checkpoint (another
    /// candidate under the id).</exception>
    public bool Replay(Candidate candidate, CandidateOutcome outcome, bool cached)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(outcome);
        if (!_steady) throw new InvalidOperationException("Only a steady-state search replays outcomes; a generational one breeds its generation again.");
        // A checkpoint taken before the initial population was bred (or none): the first Ask after it bred that population
        // from the search's generator, so breed it the same way and replay its members as themselves. Taken as "bred after
        // the checkpoint", the members never handed out would be missing and those in flight bred again as children.
        BreedInitialIfDue();
        long id = candidate.Id;
        int rung = candidate.Rung;
        if (rung < 0 || rung >= _books.Length)
            throw new InvalidOperationException($"Candidate {id} was recorded at rung {rung}; the search has {_books.Length} rung(s).");
        if (_byId.TryGetValue(id, out var known) && known.Candidate.Rung == rung)
        {
            // A candidate pending at the checkpoint.
            if (known.Candidate.Fingerprint != candidate.Fingerprint)
                throw new InvalidOperationException($"Candidate {id} was recorded with another genome than the checkpoint holds.");
            End(known, outcome, cached);
            return true;
        }
        if (rung > 0)
        {
            // A promotion: after the checkpoint when the rung below has the candidate unpromoted (or promoted and pending).
            var below = _books[rung - 1];
            if (known is not null || !below.Contains(id))
                throw new InvalidOperationException($"Candidate {id} was recorded at rung {rung} without an evaluation at rung {rung - 1} before it.");
            if (!below.Promoted.Add(id)) return false; // promoted before the checkpoint, and ended then
            var trial = new Entry(candidate);
            _current ??= [];
            Add(trial);
            End(trial, outcome, cached);
            return true;
        }
        if (id >= _nextId)
        {
            // Bred after the checkpoint; the ids skipped were bred too and never ended (in flight when it stopped).
            for (long h = _nextId; h < id; h++) _holes.Add(h);
            _nextId = id + 1;
        }
        else if (!_holes.Remove(id)) return false; // ended before the checkpoint
        var e = new Entry(candidate);
        _current ??= [];
        _current.Add(e);
        _byId[id] = e;
        End(e, outcome, cached);
        return true;
    }

    /// <summary>Ends a replayed candidate as it ended the first time.</summary>
    private void End(Entry e, CandidateOutcome outcome, bool cached)
    {
        if (e.Status == Status.Done) return; // ended with the candidate it duplicated, recorded after it
        if (outcome is CandidateOutcome.Rejected { Stage: SurrogateOptions.Stage } && e.Candidate.Rung == 0)
        {
            // Screened out when it was bred: it ends so again, without a worker, a hit or a place in the population.
            if (_leaders.TryGetValue(e.Key, out var lead) && lead == e) _leaders.Remove(e.Key);
            e.Screened = true;
            Finish(e, outcome);
            AbsorbEnded();
            return;
        }
        if (cached || outcome is CandidateOutcome.Cancelled)
        {
            if (cached) _hits++;
            if (e.Status == Status.Asked)
            {
                _inFlight--;
                if (e.Candidate.Rung == 0) _inFlightNew--;
            }
            if (_leaders.TryGetValue(e.Key, out var l) && l == e) Promote(e);
            Finish(e, outcome);
            AbsorbEnded();
            return;
        }
        if (e.Status != Status.Asked)
        {
            if (e.Status == Status.Waiting) _leaders[e.Key] = e; // it was handed out after all (its leader was cancelled)
            Hand(e);
        }
        Tell(e.Candidate.Id, outcome);
    }

    /// <summary>
    /// Ends a replay: the ids bred before the stop whose outcome was never recorded are bred again (from the population as
    /// it stands) and handed out first, so ids stay 0..n-1 with one outcome each.
    /// </summary>
    public void EndReplay()
    {
        if (!_steady || _current is null) return; // nothing bred yet: the first Ask breeds the initial population
        foreach (long id in _holes) Add(new Entry(NewCandidate(ChildRng(id), id, initial: _population.Count == 0 && _strategy.Breeds, index: -1)));
        _holes.Clear();
        _current.Sort((a, b) => a.Candidate.Id.CompareTo(b.Candidate.Id));
        AbsorbEnded();
    }

    private void Add(Entry e)
    {
        _current!.Add(e);
        _byId[e.Candidate.Id] = e;
        if (e.Status != Status.Queued) return;
        if (_cache.TryGet(e.Key, out var cached))
        {
            _hits++;
            Finish(e, cached);
        }
        else if (_leaders.TryGetValue(e.Key, out var leader))
        {
            e.Status = Status.Waiting;
            e.Leader = leader.Candidate.Id;
        }
        else _leaders[e.Key] = e;
    }

    private void Finish(Entry e, CandidateOutcome outcome)
    {
        if (KeepSettled && e.Status != Status.Asked) _settled.Add((e.Candidate, outcome));
        e.Status = Status.Done;
        e.Outcome = outcome;
        if (_steady) _ended.Add(e);
        if (outcome is CandidateOutcome.Evaluated) AddToFront(MemberOf(e.Candidate, outcome));
        if (e.Candidate.Rung > 0) return; // the counters count candidates (their lowest rung); Rungs counts the rest
        switch (outcome)
        {
            case CandidateOutcome.Evaluated:
                _evaluated++;
                break;
            case CandidateOutcome.Rejected: _rejected++; break;
            case CandidateOutcome.Failed: _failed++; break;
            default: _cancelled++; break;
        }
    }

    // The front is a set: whatever order outcomes arrive in, it ends the same (equal vectors keep the lowest id). With
    // fidelity rungs it is the front of the highest rung anyone reached: a candidate evaluated higher starts it afresh.
    private void AddToFront(Member m)
    {
        if (m.Rung < _topRung) return;
        if (m.Rung > _topRung)
        {
            _front.Clear();
            _topRung = m.Rung;
        }
        for (int i = 0; i < _front.Count; i++)
        {
            var f = _front[i];
            if (Pareto.Dominates(f.Fitness, m.Fitness)) return;
            if (f.Fitness.SequenceEqual(m.Fitness))
            {
                if (f.Age < m.Age) return;
                _front.RemoveAt(i);
                break;
            }
        }
        _front.RemoveAll(f => Pareto.Dominates(m.Fitness, f.Fitness));
        int at = _front.FindIndex(f => f.Age > m.Age);
        _front.Insert(at < 0 ? _front.Count : at, m);
    }

    private Member MemberOf(Candidate c, CandidateOutcome outcome) => new(c, outcome,
        outcome is CandidateOutcome.Evaluated ev ? Pareto.ToMinimization(ev.Objectives, _directions) : Pareto.Worst(_directions.Length));

    private void Promote(Entry cancelled)
    {
        _leaders.Remove(cancelled.Key);
        Entry? next = null;
        foreach (var w in _current!)
        {
            if (w.Status != Status.Waiting || w.Leader != cancelled.Candidate.Id) continue;
            if (next is null)
            {
                next = w;
                w.Status = Status.Queued;
                w.Leader = null;
                _leaders[w.Key] = w;
            }
            else w.Leader = next.Candidate.Id;
        }
    }

    private void CancelWaiting(Entry leader)
    {
        foreach (var w in _current!)
            if (w.Status == Status.Waiting && w.Leader == leader.Candidate.Id) Finish(w, CandidateOutcome.Cancelled.Instance);
    }

    private void CancelQueued()
    {
        if (_current is null) return;
        foreach (var e in _current)
            if (e.Status == Status.Queued) Finish(e, CandidateOutcome.Cancelled.Instance);
        foreach (var e in _current) // duplicates of candidates that will never be scored
            if (e.Status == Status.Waiting && _byId.TryGetValue(e.Leader!.Value, out var leader) && leader.Status == Status.Done) Finish(e, leader.Outcome!);
        _leaders.Clear();
    }

    private bool TryComplete()
    {
        if (_current is null || _current.Any(e => e.Status != Status.Done)) return false;
        var offspring = _current
            .Where(e => e.Outcome is not CandidateOutcome.Cancelled)
            .Select(e => MemberOf(e.Candidate, e.Outcome!))
            .ToList();
        bool scoredAny = _current.Any(e => e.Scored);
        if (offspring.Count > 0) _population = _strategy.Survive(_population, offspring, Options.Selection.PopulationSize);
        foreach (var e in _current) _byId.Remove(e.Candidate.Id);
        _current = null;
        _generation++;
        _completed++;
        // A search whose every child is a known function has converged; stop rather than spin.
        _idleGenerations = scoredAny ? 0 : _idleGenerations + 1;
        if (_idleGenerations >= MaxIdleGenerations) _stopped = true;
        GenerationCompleted?.Invoke(this);
        return true;
    }

    // ---- checkpoints ----

    /// <summary>Everything needed to continue this search exactly (see <see cref="Resume"/>).</summary>
    public EngineState ExportState(bool includeCache = true) => new()
    {
        Generation = _generation,
        NextCandidateId = _nextId,
        Rng = [.. _rng.ExportState()],
        Stopped = _stopped,
        IdleGenerations = _idleGenerations,
        Statistics = Statistics,
        Population = [.. _population.Select(m => new ScoredCandidate(m.Candidate, m.Outcome))],
        Front = [.. _front.Select(m => new ScoredCandidate(m.Candidate, m.Outcome))],
        Current = _current is null ? null : [.. _current.Select(e => new PendingCandidate(
            e.Candidate,
            e.Status == Status.Done ? e.Outcome : null,
            e.Status == Status.Waiting ? e.Leader : null,
            e.Scored))],
        Cache = includeCache ? [.. _cache.Entries.Select(kv => new CachedOutcome(kv.Key, kv.Value))] : [],
        ChildSeed = _steady ? _childSeed : null,
        ChildrenEnded = _childrenEnded,
        Rungs = _books.Length == 1 ? [] : [.. _books.Select(b => new RungState(
            [.. b.Members.Select(m => new ScoredCandidate(m.Candidate, m.Outcome))], [.. b.Promoted.Order()], b.Scored))],
        Surrogate = _surrogate is null ? [] : [.. _surrogate.Points],
    };

    /// <summary>
    /// An engine that continues from a checkpoint. Candidates that were in flight are handed out again;
    /// everything else (population, front, generator, cache) continues as if never interrupted.
    /// </summary>
    public static EvolutionEngine Resume(EvolutionOptions options, EngineState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var engine = new EvolutionEngine(options, Rng.FromState(state.Rng.AsSpan()), resumed: true);
        engine.Load(state);
        return engine;
    }

    private void Load(EngineState s)
    {
        _generation = s.Generation;
        _nextId = s.NextCandidateId;
        _stopped = s.Stopped;
        _idleGenerations = s.IdleGenerations;
        var st = s.Statistics;
        (_scored, _hits, _evaluated, _rejected, _failed, _cancelled, _completed) =
            (st.Scored, st.CacheHits, st.Evaluated, st.Rejected, st.Failed, st.Cancelled, st.GenerationsCompleted);
        _population = [.. s.Population.Select(m => MemberOf(m.Candidate, m.Outcome))];
        _front.AddRange(s.Front.Select(m => MemberOf(m.Candidate, m.Outcome)));
        foreach (var c in s.Cache) _cache.Put(c.Key, c.Outcome);
        if (s.Rungs.Length > 0 && s.Rungs.Length != _books.Length)
            throw new FormatException($"The checkpoint has {s.Rungs.Length} fidelity rungs; the search space has {_books.Length}.");
        for (int r = 0; r < s.Rungs.Length; r++)
        {
            foreach (var m in s.Rungs[r].Evaluated) _books[r].Add(MemberOf(m.Candidate, m.Outcome));
            _books[r].Promoted.UnionWith(s.Rungs[r].Promoted);
            _books[r].Scored = s.Rungs[r].Scored;
        }
        _topRung = _front.Count == 0 ? 0 : _front.Max(m => m.Rung);
        if (_surrogate is not null)
            foreach (var p in s.Surrogate) _surrogate.Observe(p);
        if (_steady)
        {
            _childSeed = s.ChildSeed ?? throw new FormatException("The checkpoint is of a generational search; this one is steady state.");
            _childrenEnded = s.ChildrenEnded;
        }
        else if (s.ChildSeed is not null) throw new FormatException("The checkpoint is of a steady-state search; this one is generational.");
        if (s.Current is not { } current) return;
        _current = new List<Entry>(current.Length);
        foreach (var p in current)
        {
            var e = new Entry(p.Candidate) { Scored = p.Scored };
            if (p.Outcome is { } o)
            {
                e.Status = Status.Done;
                e.Outcome = o;
            }
            else if (p.WaitingFor is { } leader)
            {
                e.Status = Status.Waiting;
                e.Leader = leader;
            }
            _current.Add(e);
            _byId[e.Candidate.Id] = e;
        }
        foreach (var e in _current) // asked-but-untold candidates were queued again above; they lead their duplicates
            if (e.Status == Status.Queued) _leaders[e.Key] = e;
    }

    private enum Status { Queued, Asked, Waiting, Done }

    /// <summary>One fidelity rung's record: the candidates evaluated there, in the order they ended, and who was promoted.</summary>
    internal sealed class RungBook
    {
        private readonly HashSet<long> _ids = [];
        private List<Member>? _ranked; // best first; null when a member joined since (ranked by several objectives)
        private ImmutableArray<int> _rankedBy; // the objectives _ranked is ordered by

        public List<Member> Members { get; } = [];

        /// <summary>Candidates handed out at the next rung (whatever came of it).</summary>
        public HashSet<long> Promoted { get; } = [];

        /// <summary>Hand-outs at this rung that a scorer answered (rung 0 counts in the engine's statistics).</summary>
        public long Scored { get; set; }

        public bool Contains(long id) => _ids.Contains(id);

        public void Add(Member m)
        {
            if (!_ids.Add(m.Candidate.Id)) return;
            Members.Add(m);
            if (_ranked is null) return;
            // One objective: the new member goes in its place (a binary search, not a sort of every member at every join).
            if (SingleKey(m, _rankedBy) is not { } v)
            {
                _ranked = null;
                return;
            }
            int lo = 0, hi = _ranked.Count;
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (Before(SingleKey(_ranked[mid], _rankedBy)!.Value, _ranked[mid].Age, v, m.Age)) lo = mid + 1;
                else hi = mid;
            }
            _ranked.Insert(lo, m);
        }

        /// <summary>The one value a member is ranked by, or null when the ranking takes several objectives.</summary>
        private static double? SingleKey(Member m, ImmutableArray<int> by) =>
            by.IsDefaultOrEmpty ? (m.Fitness.Length == 1 ? m.Fitness[0] : null) : by.Length == 1 ? m.Fitness[by[0]] : null;

        /// <summary><see cref="Rank"/>'s order for one objective: smaller value first (as OrderBy compares doubles), then older.</summary>
        private static bool Before(double v1, long age1, double v2, long age2)
        {
            int c = Comparer<double>.Default.Compare(v1, v2);
            return c < 0 || (c == 0 && age1 < age2);
        }

        /// <summary>ASHA: the best-ranked (by the objectives <paramref name="by"/>; empty: all) of the top floor(n / eta) not promoted yet.</summary>
        public Member? NextPromotion(double eta, ImmutableArray<int> by)
        {
            int k = (int)Math.Floor(Members.Count / eta);
            if (k == 0 || Promoted.Count >= Members.Count) return null;
            var ranked = Ranked(by);
            for (int i = 0; i < k; i++)
                if (!Promoted.Contains(ranked[i].Candidate.Id)) return ranked[i];
            return null;
        }

        /// <summary>The members best first by <paramref name="by"/> (<see cref="Rank"/>'s order), kept between joins where it can be.</summary>
        public IReadOnlyList<Member> Ranked(ImmutableArray<int> by)
        {
            if (_ranked is null || _rankedBy != by)
            {
                _ranked = Rank(Members, by);
                _rankedBy = by;
            }
            return _ranked;
        }

        /// <summary>
        /// Best first: one objective by its value; several by non-dominated sorting, then crowding distance within a front
        /// (NSGA-II's order). Ties: the older first, so the order never depends on when members joined.
        /// </summary>
        public static List<Member> Rank(List<Member> members, ImmutableArray<int> by)
        {
            if (members.Count == 0) return [];
            var points = by.IsDefaultOrEmpty
                ? members.Select(m => m.Fitness).ToList()
                : members.Select(m => (ImmutableArray<double>)[.. by.Select(i => m.Fitness[i])]).ToList();
            if (points[0].Length == 1)
                return [.. members.Select((m, i) => (m, v: points[i][0])).OrderBy(t => t.v).ThenBy(t => t.m.Age).Select(t => t.m)];
            var ranked = new List<Member>(members.Count);
            foreach (var front in Pareto.FastNonDominatedSort(points))
            {
                var crowding = Pareto.CrowdingDistance(points, front);
                ranked.AddRange(front.Select((index, i) => (Member: members[index], Crowding: crowding[i]))
                    .OrderByDescending(t => t.Crowding).ThenBy(t => t.Member.Age).Select(t => t.Member));
            }
            return ranked;
        }
    }

    private sealed class Entry(Candidate candidate)
    {
        public Candidate Candidate { get; } = candidate;
        public CacheKey Key { get; } = CacheKey.Of(candidate);
        public Status Status { get; set; }
        public CandidateOutcome? Outcome { get; set; }
        public long? Leader { get; set; }

        /// <summary>Told by the scorer (not a cache hit, a duplicate or a cancellation).</summary>
        public bool Scored { get; set; }

        /// <summary>Screened out by the surrogate (its outcome a rejection at <see cref="SurrogateOptions.Stage"/>).</summary>
        public bool Screened { get; set; }
    }
}
