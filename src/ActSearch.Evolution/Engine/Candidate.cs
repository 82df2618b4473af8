using System.Collections.Immutable;
using ActSearch.Expressions;

namespace ActSearch.Evolution;

/// <summary>
/// One genome the engine proposes. Ids are sequential within a job; parents are named by id. <paramref name="Rung"/>: the
/// fidelity rung this hand-out is scored at (0, the lowest, for every new candidate; a promotion hands the same candidate
/// out again one rung up, see <see cref="FidelityOptions"/>).
/// </summary>
public sealed record Candidate(
    long Id,
    Expr Genome,
    int Generation,
    ImmutableArray<long> ParentIds,
    string Operator,
    Fingerprint Fingerprint,
    int Rung = 0);

/// <summary>
/// How a candidate ended: exactly one of <see cref="Evaluated"/>, <see cref="Rejected"/>, <see cref="Failed"/>
/// or <see cref="Cancelled"/> (a closed set: the constructor is private to this record).
/// </summary>
public abstract record CandidateOutcome
{
    private CandidateOutcome() { }

    /// <summary>
    /// Scored: one value per objective, in the order of <see cref="EvolutionOptions.Objectives"/>. A scorer that
    /// tunes the genome (fitted constants) returns the tuned genome as <paramref name="Refined"/>; it replaces the
    /// candidate's genome in the population, as PySR keeps optimized constants.
    /// </summary>
    public sealed record Evaluated(ImmutableArray<double> Objectives, Expr? Refined = null) : CandidateOutcome;

    /// <summary>Thrown out by a rejection stage ("numeric", "stability", "quality", ...) with the reason.</summary>
    public sealed record Rejected(string Stage, string Reason) : CandidateOutcome;

    /// <summary>Scoring broke (an exception, a dead worker).</summary>
    public sealed record Failed(string Error) : CandidateOutcome;

    /// <summary>Never scored: the search stopped first.</summary>
    public sealed record Cancelled : CandidateOutcome
    {
        public static Cancelled Instance { get; } = new();
    }

    /// <summary>Short name of the kind: evaluated, rejected, failed, cancelled.</summary>
    public string Kind => this switch
    {
        Evaluated => "evaluated",
        Rejected => "rejected",
        Failed => "failed",
        _ => "cancelled",
    };
}

/// <summary>A scored candidate in the population, with its objectives turned into values to minimize.</summary>
public sealed record Member(Candidate Candidate, CandidateOutcome Outcome, ImmutableArray<double> Fitness)
{
    /// <summary>The genome that breeds: the refined one when the scorer tuned it.</summary>
    public Expr Genome => Outcome is CandidateOutcome.Evaluated { Refined: { } r } ? r : Candidate.Genome;

    /// <summary>Smaller is older (ids are handed out in order); regularized evolution removes the oldest.</summary>
    public long Age => Candidate.Id;

    /// <summary>The fidelity rung its outcome comes from (its highest rung that ended evaluated).</summary>
    public int Rung => Candidate.Rung;

    public bool IsEvaluated => Outcome is CandidateOutcome.Evaluated;
}
