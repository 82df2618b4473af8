namespace ActSearch.Evaluation.Tasks;

/// <summary>
/// How the evaluation of one candidate ended: a closed set (STYLE.md, convention 8). Every candidate ends in exactly
/// one of these, and the reason is kept.
/// </summary>
public abstract record EvaluationOutcome
{
    private EvaluationOutcome() { }

    /// <summary>Passed every stage and was trained on every requested task: its objectives.</summary>
    public sealed record Evaluated(CandidateScores Scores) : EvaluationOutcome;

    /// <summary>Thrown out by a stage of the rejection chain, with a readable reason and the time the stage took.</summary>
    public sealed record Rejected(string Stage, string Reason, TimeSpan Cost) : EvaluationOutcome;

    /// <summary>The evaluation itself broke (not the candidate's fault, or not only).</summary>
    public sealed record Failed(string Error) : EvaluationOutcome;

    public sealed record Cancelled : EvaluationOutcome;

    /// <summary>One word for tables and JSON: <c>evaluated</c>, <c>rejected</c>, <c>failed</c>, <c>cancelled</c>.</summary>
    public string Status => this switch
    {
        Evaluated => "evaluated",
        Rejected => "rejected",
        Failed => "failed",
        _ => "cancelled",
    };
}
