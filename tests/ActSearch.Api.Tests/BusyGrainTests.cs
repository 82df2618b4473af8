using System.Reflection;
using ActSearch.Grains;
using ActSearch.Storage;

namespace ActSearch.Api.Tests;

/// <summary>
/// No read waits on a busy job grain (issue 18): a grain stuck in a long turn (here: one that never answers) leaves the
/// job's view, the listing and the event stream to storage after <see cref="JobService.LiveStatusWait"/>.
/// </summary>
public sealed class BusyGrainTests(JobsServer fixture) : IClassFixture<JobsServer>
{
    private static readonly TimeSpan Liveness = TimeSpan.FromSeconds(30); // far above LiveStatusWait: a hang, not a speed check

    [Fact]
    public async Task A_job_whose_grain_never_answers_is_read_from_storage()
    {
        await using var db = await fixture.Postgres.CreateDatabaseAsync();
        await using var storage = await db.OpenAsync();
        var id = Guid.NewGuid();
        var spec = new JobSpec(TestSpaces.Regression(), "busy.yaml", "busy job", "tests");
        await new PostgresJobStore(storage).SaveJobAsync(
            new ActSearch.Grains.JobRecord(id, spec, JobState.Running, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow), ResolvedJob.Of(JobSpecs.Load(spec)));
        var jobs = new JobService(SilentGrains.Create(), storage, new BrowseQueries(storage));

        var view = await jobs.GetAsync(id, CancellationToken.None).WaitAsync(Liveness);
        Assert.Equal(("running", "api-test"), (view!.State, view.Space));
        Assert.Equal(["loss@regression", "complexity"], view.Objectives);

        var page = await jobs.ListAsync(null, 1, 50, CancellationToken.None).WaitAsync(Liveness);
        Assert.Equal(id, Assert.Single(page.Items).Id);

        using var stop = new CancellationTokenSource(Liveness);
        await foreach (var watched in jobs.WatchAsync(id, TimeSpan.FromMilliseconds(100), stop.Token))
        {
            Assert.Equal("running", watched.State);
            break;
        }
    }

    /// <summary>A grain factory whose job grains accept calls and never answer them.</summary>
    public class SilentGrains : DispatchProxy
    {
        public static IGrainFactory Create() => Create<IGrainFactory, SilentGrains>();

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            targetMethod?.ReturnType == typeof(ISearchJobGrain)
                ? DispatchProxy.Create<ISearchJobGrain, SilentJob>()
                : throw new NotSupportedException(targetMethod?.Name);
    }

    public class SilentJob : DispatchProxy
    {
        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            targetMethod?.Name == nameof(ISearchJobGrain.GetStatus)
                ? new TaskCompletionSource<ActSearch.Grains.JobStatus>().Task // never completes
                : throw new NotSupportedException(targetMethod?.Name);
    }
}
