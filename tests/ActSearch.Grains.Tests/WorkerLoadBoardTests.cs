using System.Net;
using Orleans.Runtime;

namespace ActSearch.Grains.Tests;

public sealed class WorkerLoadBoardTests
{
    private static readonly SiloAddress A = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 1001), 1);
    private static readonly SiloAddress B = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 1002), 1);

    [Fact]
    public void Placement_prefers_the_silo_with_the_most_free_slots_counting_its_own_unacknowledged_placements()
    {
        var board = new WorkerLoadBoard();
        (SiloAddress, int)[] silos = [(A, 2), (B, 4)];

        var picks = Enumerable.Range(0, 6).Select(_ => board.Choose(silos)).ToList();

        Assert.Equal(2, picks.Count(p => p == A));
        Assert.Equal(4, picks.Count(p => p == B));
    }

    [Fact]
    public void Reports_replace_the_estimate_and_acknowledgements_settle_placements()
    {
        var board = new WorkerLoadBoard();
        board.Choose([(A, 2)]);
        Assert.Equal(1, board.BusyEstimate(A));

        board.Accepted(A, new WorkerLoad(2, 1));
        Assert.Equal(1, board.BusyEstimate(A));

        board.Reported(A, new WorkerLoad(2, 0));
        Assert.Equal(0, board.BusyEstimate(A));
        Assert.Equal(B, board.Choose([(A, 1), (B, 3)]));
    }

    [Fact]
    public void Unacknowledged_placements_expire()
    {
        var time = new ManualTime();
        var board = new WorkerLoadBoard(time);
        board.Choose([(A, 1)]);
        Assert.Equal(1, board.BusyEstimate(A));

        time.Advance(WorkerLoadBoard.PendingLifetime + TimeSpan.FromSeconds(1));

        Assert.Equal(0, board.BusyEstimate(A));
    }
}
