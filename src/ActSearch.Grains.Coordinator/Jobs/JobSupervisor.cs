using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace ActSearch.Grains;

/// <summary>
/// When a coordinator silo becomes active, wakes every unfinished job in the store: each job grain resumes from
/// its latest checkpoint on activation. This is how a restarted coordinator picks its jobs up again. First the store
/// brings older rows up to date (<see cref="IJobStore.PrepareAsync"/>).
/// </summary>
internal sealed partial class JobSupervisor(IJobStore store, IGrainFactory grains, ILogger<JobSupervisor> log) : ILifecycleParticipant<ISiloLifecycle>
{
    private Task? _waking;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(JobSupervisor), ServiceLifecycleStage.Active, OnActive, _ => _waking ?? Task.CompletedTask);

    private Task OnActive(CancellationToken cancellation)
    {
        _waking = Task.Run(() => WakeAsync(cancellation), CancellationToken.None); // never hold up the silo's start
        return Task.CompletedTask;
    }

    private async Task WakeAsync(CancellationToken cancellation)
    {
        try
        {
            await store.PrepareAsync(cancellation);
            foreach (var id in await store.ListUnfinishedJobsAsync(cancellation))
            {
                var status = await grains.GetGrain<ISearchJobGrain>(id).GetStatus();
                LogWoken(id, status.State, status.Generation);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogWakeFailed(e);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Woke job {JobId}: {State} at generation {Generation}.")]
    private partial void LogWoken(Guid jobId, JobState state, int generation);

    [LoggerMessage(Level = LogLevel.Error, Message = "Waking unfinished jobs failed.")]
    private partial void LogWakeFailed(Exception error);
}
