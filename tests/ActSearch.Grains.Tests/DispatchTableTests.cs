using System.Net;
using ActSearch.Evolution;
using ActSearch.Expressions;

namespace ActSearch.Grains.Tests;

/// <summary>The job grain's dispatch rules, without a cluster: every candidate at a worker ends with exactly one outcome.</summary>
public sealed class DispatchTableTests
{
    private static readonly SiloAddress A = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 2001), 1);
    private static readonly SiloAddress B = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 2002), 1);

    private static readonly SearchJobOptions Options = new()
    {
        CandidateDeadline = TimeSpan.FromMinutes(10), RetryDelay = TimeSpan.FromSeconds(2), MaxAttempts = 3,
    };

    private readonly ManualTime _time = new();

    private DispatchTable Table() => new(Options, _time);

    private static Candidate Candidate(long id, string formula = "x * sigmoid(x)")
    {
        var genome = ExprParser.Parse(formula);
        return new Candidate(id, genome, 0, [], "init", Fingerprint.Of(genome));
    }

    private static EvaluationReport Report(Dispatch d, CandidateOutcome outcome, int? attempt = null, ulong? fingerprint = null) =>
        new(d.Candidate.Id, fingerprint ?? d.Candidate.Fingerprint.Value, attempt ?? d.Attempt, outcome, A, new WorkerLoad(1, 0), TimeSpan.FromSeconds(1));

    private static readonly CandidateOutcome Scored = new CandidateOutcome.Evaluated([0.8]);

    private static bool NoneDead(SiloAddress _) => false;

    [Fact]
    public void The_first_report_of_a_candidate_is_accepted_once_and_later_ones_are_ignored()
    {
        var table = Table();
        var d = table.Add(Candidate(0));
        table.Accepted(d, table.Sending(d), A);

        Assert.Equal(ReportDecision.Accept, table.OnReport(Report(d, Scored), out var accepted));
        Assert.Same(d, accepted);
        Assert.Equal(0, table.Count);
        Assert.Equal(ReportDecision.Ignore, table.OnReport(Report(d, Scored), out _)); // a retried report
    }

    [Fact]
    public void A_report_for_another_function_under_the_same_id_is_from_before_a_resume_and_is_ignored()
    {
        var table = Table();
        var d = table.Add(Candidate(0));
        table.Sending(d);
        Assert.Equal(ReportDecision.Ignore, table.OnReport(Report(d, Scored, fingerprint: d.Candidate.Fingerprint.Value ^ 1), out _));
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void Past_its_deadline_a_candidate_goes_out_as_its_next_attempt_and_the_old_attempt_is_cancelled()
    {
        var table = Table();
        var d = table.Add(Candidate(0));
        table.Accepted(d, table.Sending(d), A);

        _time.Advance(TimeSpan.FromMinutes(9));
        Assert.Empty(table.Tick(NoneDead).Send); // not due yet
        _time.Advance(TimeSpan.FromMinutes(2));
        var plan = table.Tick(NoneDead);

        Assert.Equal([d], plan.Send);
        Assert.Equal(1, d.Attempt);
        Assert.Equal(new OldAttempt(d.Candidate, 0), Assert.Single(plan.CancelOld));
        Assert.Equal((d, "its deadline passed"), Assert.Single(plan.Redispatched));
        Assert.Equal(1, table.Redispatched);
        // A late report of the superseded attempt still counts: the candidate has no outcome yet.
        Assert.Equal(ReportDecision.Accept, table.OnReport(Report(d, Scored, attempt: 0), out _));
    }

    [Fact]
    public void A_candidate_on_a_dead_silo_goes_out_again_at_once_with_nothing_to_cancel()
    {
        var table = Table();
        var d = table.Add(Candidate(0));
        table.Accepted(d, table.Sending(d), A);

        var plan = table.Tick(s => s.Equals(A));

        Assert.Equal([d], plan.Send);
        Assert.Empty(plan.CancelOld);
        Assert.Equal((d, "its worker silo died"), Assert.Single(plan.Redispatched));
    }

    [Fact]
    public void Out_of_attempts_a_candidate_leaves_the_table_and_is_given_up_with_the_reason()
    {
        var table = Table();
        var d = table.Add(Candidate(0));
        for (int attempt = 0; attempt < Options.MaxAttempts; attempt++)
        {
            table.Accepted(d, table.Sending(d), B);
            _time.Advance(Options.CandidateDeadline + TimeSpan.FromSeconds(1));
            var plan = table.Tick(NoneDead);
            if (attempt < Options.MaxAttempts - 1) Assert.Equal([d], plan.Send);
            else Assert.Equal(("No worker reported after 3 dispatches.", 0), (Assert.Single(plan.GiveUp).Reason, table.Count));
        }
    }

    [Fact]
    public void A_failed_send_goes_out_again_after_the_retry_delay_as_the_same_attempt()
    {
        var table = Table();
        var d = table.Add(Candidate(0));
        table.Sending(d);
        table.SendFailed(d);

        Assert.Empty(table.Tick(NoneDead).Send);
        _time.Advance(Options.RetryDelay);
        var plan = table.Tick(NoneDead);

        Assert.Equal([d], plan.Send);
        Assert.Equal(0, d.Attempt); // no attempt used up
        Assert.Empty(plan.Redispatched);
        Assert.Equal(0, table.Redispatched);
    }

    [Fact]
    public void A_worker_that_gives_the_current_attempt_back_gets_it_redispatched_on_the_next_tick()
    {
        var table = Table();
        var d = table.Add(Candidate(0));
        table.Accepted(d, table.Sending(d), A);

        Assert.Equal(ReportDecision.Ignore, table.OnReport(Report(d, CandidateOutcome.Cancelled.Instance, attempt: 5), out _)); // another attempt's
        Assert.Empty(table.Tick(NoneDead).Send);
        Assert.Equal(ReportDecision.Redispatch, table.OnReport(Report(d, CandidateOutcome.Cancelled.Instance), out _));
        Assert.Equal([d], table.Tick(NoneDead).Send);
        Assert.Equal(1, d.Attempt);
    }

    [Fact]
    public void An_accept_for_an_attempt_superseded_meanwhile_does_not_overwrite_the_silo()
    {
        var table = Table();
        var d = table.Add(Candidate(0));
        int first = table.Sending(d);
        _time.Advance(Options.CandidateDeadline + TimeSpan.FromSeconds(1));
        table.Tick(NoneDead); // attempt 1 goes out before attempt 0's acceptance arrived
        table.Sending(d);

        table.Accepted(d, first, A);

        Assert.Null(d.Silo);
    }

    [Fact]
    public void Taking_everything_empties_the_table_in_candidate_order()
    {
        var table = Table();
        table.Add(Candidate(2, "tanh(x)"));
        table.Add(Candidate(0));
        table.Add(Candidate(1, "erf(x)"));

        Assert.Equal([0L, 1, 2], table.TakeAll().Select(d => d.Candidate.Id));
        Assert.Equal(0, table.Count);
    }
}
