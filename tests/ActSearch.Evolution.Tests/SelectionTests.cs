using System.Collections.Immutable;
using ActSearch.Expressions;

namespace ActSearch.Evolution.Tests;

public class SelectionTests
{
    private static Member MemberWith(long id, params double[] fitness) => new(
        new Candidate(id, Expr.X, 0, [], "init", default),
        new CandidateOutcome.Evaluated([.. fitness]),
        [.. fitness]);

    [Fact]
    public void Regularized_evolution_ages_out_the_oldest_even_when_it_is_the_best()
    {
        var population = Enumerable.Range(0, 10).Select(i => MemberWith(i, i == 0 ? 0.0 : 1.0 + i)).ToList();
        var offspring = Enumerable.Range(10, 3).Select(i => MemberWith(i, 100.0)).ToList();
        var next = new RegularizedEvolution(4).Survive(population, offspring, 10);
        Assert.Equal(Enumerable.Range(3, 10).Select(i => (long)i), next.Select(m => m.Candidate.Id));
    }

    [Fact]
    public void Regularized_evolution_in_the_engine_keeps_a_sliding_window_of_the_youngest()
    {
        var options = TestSearches.Options(budget: 200);
        var engine = new EvolutionEngine(options, 21);
        TestSearches.Drive(engine, TestSearches.Scorer());
        var ids = engine.Population.Select(m => m.Candidate.Id).ToList();
        Assert.Equal(options.Selection.PopulationSize, ids.Count);
        // Every member is younger than every candidate that died: the population is the last N survivors by id.
        long oldest = ids.Min();
        Assert.True(oldest > options.Selection.PopulationSize, $"the initial population is still there (oldest id {oldest})");
        Assert.Equal(ids.OrderBy(i => i), ids);
    }

    [Fact]
    public void A_regularized_tournament_picks_the_best_of_its_sample()
    {
        var population = Enumerable.Range(0, 5).Select(i => MemberWith(i, 5.0 - i)).ToList();
        var strategy = new RegularizedEvolution(tournamentSize: 50); // large enough to see everyone
        Assert.Equal(4, strategy.SelectParent(new Rng(1), population).Candidate.Id);
    }

    [Fact]
    public void The_multi_objective_tournament_picks_from_the_front_of_its_sample()
    {
        var rng = new Rng(2);
        var population = Enumerable.Range(0, 30).Select(i => MemberWith(i, rng.NextDouble(), rng.NextDouble())).ToList();
        var front = Pareto.Front(population.Select(m => m.Fitness).ToList()).Select(i => (long)i).ToHashSet();
        var strategy = new MultiObjectiveTournament(tournamentSize: 300);
        var picked = Enumerable.Range(0, 200).Select(_ => strategy.SelectParent(rng, population).Candidate.Id).ToHashSet();
        Assert.Subset(front, picked);
        Assert.True(picked.Count > 1, "always the same parent: the pick is not random");
    }

    [Fact]
    public void Nsga2_binary_tournament_prefers_the_better_rank()
    {
        var population = new List<Member> { MemberWith(0, 0, 0), MemberWith(1, 1, 1) };
        var strategy = new Nsga2Selection();
        var rng = new Rng(3);
        var picks = Enumerable.Range(0, 200).Select(_ => strategy.SelectParent(rng, population).Candidate.Id).ToList();
        // Member 1 wins only when drawn twice (a quarter of the time).
        Assert.InRange(picks.Count(p => p == 1), 25, 75);
    }

    [Fact]
    public void Nsga2_survival_keeps_the_first_front()
    {
        var population = new List<Member> { MemberWith(0, 5, 5), MemberWith(1, 0, 4) };
        var offspring = new List<Member> { MemberWith(2, 4, 0), MemberWith(3, 6, 6) };
        var next = new Nsga2Selection().Survive(population, offspring, 2);
        Assert.Equal([1L, 2L], next.Select(m => m.Candidate.Id));
    }

    [Fact]
    public void Nsga2_survival_gives_a_copy_of_a_member_no_place_while_distinct_functions_are_left()
    {
        var best = MemberWith(0, 0, 4) with { Candidate = new Candidate(0, Expr.X, 0, [], "init", new Fingerprint(7)) };
        var other = MemberWith(1, 5, 5) with { Candidate = new Candidate(1, Expr.X, 0, [], "init", new Fingerprint(8)) };
        var copy = best with { Candidate = best.Candidate with { Id = 2 } }; // the cache's answer for the same function
        var strategy = new Nsga2Selection();

        Assert.Equal([0L, 1L], strategy.Survive([best, other], [copy], 2).Select(m => m.Candidate.Id));
        // With too few distinct members the copies fill the population (best first).
        Assert.Equal([0L, 1L, 2L], strategy.Survive([best, other], [copy], 3).Select(m => m.Candidate.Id));
        // The same fingerprint with other objective values (another seed, a refined genome) is not a copy.
        var rescored = MemberWith(3, 0, 3) with { Candidate = best.Candidate with { Id = 3 } };
        Assert.Equal([0L, 3L], strategy.Survive([best, other], [rescored], 2).Select(m => m.Candidate.Id));
    }

    [Fact]
    public void Nsga2_in_the_engine_keeps_its_population_distinct()
    {
        var engine = new EvolutionEngine(TestSearches.Options(SelectionStrategy.Nsga2, budget: 300), 13);
        TestSearches.Drive(engine, TestSearches.Scorer());

        var population = engine.Population;
        Assert.Equal(population.Count, population.Select(m => (m.Candidate.Fingerprint, string.Join(",", m.Fitness))).Distinct().Count());
    }

    [Fact]
    public void The_fingerprint_cache_forgets_the_least_recently_used()
    {
        var cache = new FingerprintCache(2);
        var a = new CacheKey(new Fingerprint(1), 0);
        var b = new CacheKey(new Fingerprint(2), 0);
        var c = new CacheKey(new Fingerprint(3), 0);
        cache.Put(a, new CandidateOutcome.Failed("a"));
        cache.Put(b, new CandidateOutcome.Failed("b"));
        Assert.True(cache.TryGet(a, out _)); // a is now the most recent
        cache.Put(c, new CandidateOutcome.Failed("c"));
        Assert.False(cache.TryGet(b, out _));
        Assert.True(cache.TryGet(a, out var outcome));
        Assert.Equal(new CandidateOutcome.Failed("a"), outcome);
        Assert.Equal(2, cache.Count);
    }
}
