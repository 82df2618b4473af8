using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace ActSearch.Grains;

/// <summary>
/// When a coordinator silo becomes active, and every <see cref="SearchJobOptions.WakeInterval"/> after, wakes every
/// unfinished job in the store: each job grain resumes from its latest checkpoint on activation (an active one only
/// answers). This is how a restarted coordinator picks its jobs up again, and how a job that let go during a long
/// database outage resumes once the database is back. First the store brings older rows up to date
/// (<see cref="IJobStore.PrepareAsync"/>, once). With <see cref="SearchJobOptions.WakeUnfinishedJobs"/> off it only does that.
/// </summary>
internal sealed partial class JobSupervisor(IJobStore store, IGrainFactory grains, IOptions<SearchJobOptions> options, ILogger<JobSupervisor> log)
    : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _waking;
    private bool _prepared;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(JobSupervisor), ServiceLifecycleStage.Active, OnActive, OnStopAsync);

    private Task OnActive(CancellationToken cancellation)
    {
        _waking = Task.Run(LoopAsync, CancellationToken.None); // never hold up the silo's start
        return Task.CompletedTask;
    }

    private async Task OnStopAsync(CancellationToken cancellation)
    {
        await _stopping.CancelAsync();
        if (_waking is { } waking) await waking.WaitAsync(cancellation).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task LoopAsync()
    {
        var stop = _stopping.Token;
        using var timer = new PeriodicTimer(options.Value.WakeInterval);
        do
        {
            await WakeAsync(stop);
        }
        while (options.Value.WakeUnfinishedJobs && await NextAsync(timer, stop));
    }

    private static async Task<bool> NextAsync(PeriodicTimer timer, CancellationToken stop)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stop);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task WakeAsync(CancellationToken cancellation)
    {
        try
        {
            if (!_prepared)
            {
                await store.PrepareAsync(cancellation);
                _prepared = true;
            }
            if (!options.Value.WakeUnfinishedJobs) return;
            foreach (var id in await store.ListUnfinishedJobsAsync(cancellation))
            {
                var status = await grains.GetGrain<ISearchJobGrain>(id).GetStatus();
                LogWoken(id, status.State, status.Generation);
            }
        }
        catch (Exception e) when (!cancellation.IsCancellationRequested)
        {
            LogWakeFailed(e); // the next round tries again
        }
        catch (OperationCanceledException)
        {
            // the silo stops
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {JobId}: {State} at generation {Generation}.")]
    private partial void LogWoken(Guid jobId, JobState state, int generation);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Waking unfinished jobs failed; trying again at the next round.")]
    private partial void LogWakeFailed(Exception error);
}
