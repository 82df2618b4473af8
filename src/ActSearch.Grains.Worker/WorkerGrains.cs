using ActSearch.Evaluation.Torch;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ActSearch.Grains;

public static class WorkerGrains
{
    /// <summary>
    /// The worker role's services: <see cref="EvaluationSlots"/> with <paramref name="workerOptions"/>' slots, the search
    /// space cache, and an <see cref="ICandidateScorer"/> (the CPU curve-fit one unless one is registered).
    /// </summary>
    public static ISiloBuilder AddWorkerGrains(this ISiloBuilder silo, EvaluationWorkerOptions workerOptions)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(workerOptions);
        var services = silo.Services;
        services.AddOptions<EvaluationWorkerOptions>()
            .Configure(o =>
            {
                o.Slots = workerOptions.Slots;
                o.Device = workerOptions.Device;
                o.SearchSpaceCacheSize = workerOptions.SearchSpaceCacheSize;
                o.ReportRetries = workerOptions.ReportRetries;
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EvaluationWorkerOptions>, EvaluationWorkerOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CurveFitScorerOptions>, CurveFitScorerOptionsValidator>());
        services.TryAddSingleton<ICandidateScorer, CurveFitCandidateScorer>();
        services.TryAddSingleton<SearchSpaceCache>();
        services.TryAddSingleton<EvaluationSlots>();
        return silo;
    }

    /// <summary>Worker silos train candidates with TorchSharp on <paramref name="device"/> (auto, cpu or cuda).</summary>
    public static ISiloBuilder AddTorchScorer(this ISiloBuilder silo, string device)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var selected = DeviceSelector.Select(device);
        silo.Services.AddSingleton<ICandidateScorer>(new TorchCandidateScorer(selected));
        // A coordinator in the same process (actsearch run and serve) computes the surrogate's Fisher features with it.
        silo.Services.AddSingleton<ActSearch.Evolution.ISurrogateFeatureSource>(new ActSearch.Evaluation.Torch.Tasks.FisherFeatures(selected));
        return silo;
    }
}
