using ActSearch.Evaluation.Torch;
using ActSearch.Grains;
using ActSearch.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace ActSearch.Hosting;

/// <summary>The production services a silo registers besides the grains: where jobs are kept, how candidates are scored.</summary>
public static class ActSearchServices
{
    /// <summary>Worker silos train candidates with TorchSharp on <paramref name="device"/> (auto, cpu or cuda).</summary>
    public static ISiloBuilder AddTorchScorer(this ISiloBuilder silo, string device)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var selected = DeviceSelector.Select(device);
        silo.Services.AddSingleton<ICandidateScorer>(new TorchCandidateScorer(selected));
        return silo;
    }

    /// <summary>Coordinator silos keep jobs, checkpoints, outcomes and the activation catalog in PostgreSQL.</summary>
    public static ISiloBuilder AddPostgresJobStore(this ISiloBuilder silo, ActSearchStorage storage)
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.Services.AddSingleton<IJobStore>(new PostgresJobStore(storage));
        return silo;
    }
}
