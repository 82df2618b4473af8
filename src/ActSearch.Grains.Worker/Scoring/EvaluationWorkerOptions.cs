using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ActSearch.Grains;

/// <summary>A worker silo's evaluation capacity (ACTSEARCH_SLOTS, ACTSEARCH_DEVICE).</summary>
public sealed class EvaluationWorkerOptions
{
    /// <summary>Candidates scored at once: one dedicated thread each (a GPU each in production).</summary>
    [Range(1, 1024)]
    public int Slots { get; set; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>cpu or cuda (what the scorer trains on); published as silo metadata.</summary>
    [RegularExpression("^(auto|cpu|cuda)$")]
    public string Device { get; set; } = "cpu";

    /// <summary>Parsed search spaces kept per worker silo (they arrive as YAML with every candidate).</summary>
    [Range(1, 1024)]
    public int SearchSpaceCacheSize { get; set; } = 32;

    /// <summary>How often a worker retries a report its job grain did not take (the job re-dispatches after its deadline anyway).</summary>
    [Range(0, 100)]
    public int ReportRetries { get; set; } = 5;
}

[OptionsValidator]
internal sealed partial class EvaluationWorkerOptionsValidator : IValidateOptions<EvaluationWorkerOptions>;
