using TorchSharp;

namespace ActSearch.Evaluation.Torch;

/// <summary>Which device training runs on, as configured: <c>auto</c>, <c>cpu</c> or <c>cuda</c> (<c>cuda:N</c> for one GPU).</summary>
public static class DeviceSelector
{
    /// <summary>The setting's name in the hosts' configuration, for error messages (this library reads no environment).</summary>
    public const string EnvironmentVariable = "ACTSEARCH_DEVICE";

    /// <summary>
    /// Resolves a setting to a device. <c>auto</c> (or null/empty) is CUDA when TorchSharp reports it
    /// available, otherwise the CPU. An explicit <c>cuda</c> without CUDA is an error rather than a silent
    /// fallback, so a misconfigured GPU worker fails loudly.
    /// </summary>
    public static torch.Device Select(string? setting)
    {
        TorchProcess.Prepare(); // before anything below loads libtorch
        return Resolve(setting);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static torch.Device Resolve(string? setting)
    {
        string s = (setting ?? "").Trim().ToLowerInvariant();
        switch (s)
        {
            case "" or "auto":
                return torch.cuda.is_available() ? torch.CUDA : torch.CPU;
            case "cpu":
                return torch.CPU;
            case "cuda" or "gpu":
                return torch.cuda.is_available() ? torch.CUDA
                    : throw new InvalidOperationException($"{EnvironmentVariable}=cuda, but TorchSharp reports no CUDA device (is a CUDA native package installed?).");
        }
        if (s.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(s.AsSpan(5), out int index) && index >= 0)
        {
            if (!torch.cuda.is_available() || index >= torch.cuda.device_count())
                throw new InvalidOperationException($"{EnvironmentVariable}={setting}: no such CUDA device.");
            return new torch.Device(DeviceType.CUDA, index);
        }
        throw new ArgumentException($"Unknown device '{setting}'; expected auto, cpu, cuda or cuda:N.", nameof(setting));
    }
}
