namespace ActSearch.Evolution;

/// <summary>
/// How parents are chosen and who survives a generation. Strategies are stateless: everything they need
/// is in the population they are given, so a checkpoint of the population is a checkpoint of the strategy.
/// With fidelity rungs every comparison is by rung first (<see cref="Member.Rung"/>, higher better), then by fitness
/// within the rung: scores of different rungs are never compared as equals.
/// </summary>
public interface ISelectionStrategy
{
    /// <summary>The strategy's name in search spaces (its <see cref="StrategyRegistry"/> entry's).</summary>
    string Name { get; }

    /// <summary>False for the random-search baseline: every candidate comes from the initializer.</summary>
    bool Breeds => true;

    /// <summary>One parent from a non-empty population.</summary>
    Member SelectParent(Rng rng, IReadOnlyList<Member> population);

    /// <summary>The next population from the current one and the generation just scored (in id order).</summary>
    IReadOnlyList<Member> Survive(IReadOnlyList<Member> population, IReadOnlyList<Member> offspring, int size);

    /// <summary>The strategy the options name, made by its <see cref="StrategyRegistry"/> entry.</summary>
    public static ISelectionStrategy For(SelectionOptions options) => StrategyRegistry.Of(options.Strategy).Create(options);
}

/// <summary>
/// Real et al.'s regularized (aging) evolution: the parent is the best of a random tournament on the first
/// objective (a higher rung first; the younger wins ties); the oldest members die so the population keeps its size.
/// </summary>
public sealed class RegularizedEvolution(int tournamentSize) : ISelectionStrategy
{
    public string Name => "regularized";

    public Member SelectParent(Rng rng, IReadOnlyList<Member> population)
    {
        Member best = rng.Choose(population);
        for (int i = 1; i < Math.Max(1, tournamentSize); i++)
        {
            var m = rng.Choose(population);
            if (m.Rung != best.Rung ? m.Rung > best.Rung : m.Fitness[0] < best.Fitness[0] || (m.Fitness[0] == best.Fitness[0] && m.Age > best.Age)) best = m;
        }
        return best;
    }

    public IReadOnlyList<Member> Survive(IReadOnlyList<Member> population, IReadOnlyList<Member> offspring, int size) =>
        Aging.Survive(population, offspring, size);
}

/// <summary>
/// EvoNorms' multi-objective tournament: a random sample of the population, its Pareto front (among the sample's
/// members at its highest rung), one member of the front at random. Survival ages out the oldest, as in regularized evolution.
/// </summary>
public sealed class MultiObjectiveTournament(int tournamentSize) : ISelectionStrategy
{
    public string Name => "multi_objective_tournament";

    public Member SelectParent(Rng rng, IReadOnlyList<Member> population)
    {
        var sample = new List<Member>(tournamentSize);
        for (int i = 0; i < Math.Max(1, tournamentSize); i++) sample.Add(rng.Choose(population));
        int top = sample.Max(m => m.Rung);
        sample.RemoveAll(m => m.Rung != top);
        var front = Pareto.Front(sample.Select(m => m.Fitness).ToList());
        return sample[rng.Choose(front)];
    }

    public IReadOnlyList<Member> Survive(IReadOnlyList<Member> population, IReadOnlyList<Member> offspring, int size) =>
        Aging.Survive(population, offspring, size);
}

/// <summary>
/// Deb et al.'s NSGA-II: binary tournament on (front rank, crowding distance); (mu + lambda) survival by
/// non-dominated sorting, the last front cut by crowding distance.
/// </summary>
public sealed class Nsga2Selection : ISelectionStrategy
{
    // Ranks and crowding of the last population seen, recomputed when the population changes.
    private IReadOnlyList<Member>? _annotated;
    private Dictionary<long, (int Rank, double Crowding)> _scores = [];

    public string Name => "nsga2";

    public Member SelectParent(Rng rng, IReadOnlyList<Member> population)
    {
        var scores = Annotate(population);
        var a = rng.Choose(population);
        var b = rng.Choose(population);
        var (ra, ca) = scores[a.Candidate.Id];
        var (rb, cb) = scores[b.Candidate.Id];
        if (ra != rb) return ra < rb ? a : b;
        if (ca != cb) return ca > cb ? a : b;
        return a;
    }

    /// <summary>
    /// NSGA-II's elitist survival, with duplicates eliminated as pymoo does: a member that is the same function with the
    /// same objective values as one before it (what the fingerprint cache hands back for a known function) takes a
    /// place only when too few distinct members are left to fill the population. Without this, copies of the front
    /// crowd out everything else within a few generations, and variation of identical parents proposes little but
    /// known functions (gp-activation at 200 candidates: 1,408 proposed, 1,043 of them copies).
    /// </summary>
    public IReadOnlyList<Member> Survive(IReadOnlyList<Member> population, IReadOnlyList<Member> offspring, int size)
    {
        var all = population.Concat(offspring).ToList();
        var seen = new HashSet<Member>(SameFunction.Instance);
        var distinct = new List<int>();
        var copies = new List<int>();
        for (int i = 0; i < all.Count; i++) (seen.Add(all[i]) ? distinct : copies).Add(i);
        var chosen = Best(distinct, size);
        chosen.AddRange(Best(copies, size - chosen.Count));
        chosen.Sort(); // keep members in id order: the population's order never depends on the sort
        return [.. chosen.Select(i => all[i])];

        // A higher rung first: its members all stay before any of the rung below competes (one rung: plain NSGA-II).
        List<int> Best(List<int> pool, int count)
        {
            var chosen = new List<int>();
            foreach (var rung in pool.GroupBy(i => all[i].Rung).OrderByDescending(g => g.Key))
            {
                int left = count - chosen.Count;
                if (left <= 0) break;
                var group = rung.ToList();
                chosen.AddRange(group.Count <= left
                    ? group
                    : Pareto.SelectSurvivors(group.Select(i => all[i].Fitness).ToList(), left).Select(j => group[j]));
            }
            return chosen;
        }
    }

    /// <summary>Members are the same function when their fingerprints and objective values are equal.</summary>
    private sealed class SameFunction : IEqualityComparer<Member>
    {
        public static readonly SameFunction Instance = new();

        public bool Equals(Member? a, Member? b) =>
            a is not null && b is not null && a.Candidate.Fingerprint == b.Candidate.Fingerprint && a.Fitness.SequenceEqual(b.Fitness);

        public int GetHashCode(Member m) => m.Candidate.Fingerprint.GetHashCode();
    }

    private Dictionary<long, (int, double)> Annotate(IReadOnlyList<Member> population)
    {
        if (ReferenceEquals(population, _annotated)) return _scores;
        var scores = new Dictionary<long, (int, double)>(population.Count);
        int offset = 0; // a higher rung's fronts rank before every front of the rung below
        foreach (var rung in population.GroupBy(m => m.Rung).OrderByDescending(g => g.Key))
        {
            var members = rung.ToList();
            var points = members.Select(m => m.Fitness).ToList();
            var fronts = Pareto.FastNonDominatedSort(points);
            for (int r = 0; r < fronts.Count; r++)
            {
                var d = Pareto.CrowdingDistance(points, fronts[r]);
                for (int i = 0; i < fronts[r].Count; i++) scores[members[fronts[r][i]].Candidate.Id] = (offset + r, d[i]);
            }
            offset += fronts.Count;
        }
        _annotated = population;
        _scores = scores;
        return scores;
    }
}

/// <summary>The baseline: every candidate is drawn fresh; the population only keeps the best seen (NSGA-II survival) for reports.</summary>
public sealed class RandomSearch : ISelectionStrategy
{
    private readonly Nsga2Selection _keep = new();

    public string Name => "random";

    public bool Breeds => false;

    public Member SelectParent(Rng rng, IReadOnlyList<Member> population) => rng.Choose(population);

    public IReadOnlyList<Member> Survive(IReadOnlyList<Member> population, IReadOnlyList<Member> offspring, int size) =>
        _keep.Survive(population, offspring, size);
}

internal static class Aging
{
    /// <summary>Everyone joins; the oldest leave until the population has its size again.</summary>
    public static IReadOnlyList<Member> Survive(IReadOnlyList<Member> population, IReadOnlyList<Member> offspring, int size)
    {
        var all = population.Concat(offspring).OrderBy(m => m.Age).ToList();
        return all.Count <= size ? all : all.GetRange(all.Count - size, size);
    }
}
