using System.Runtime.InteropServices;

namespace ActSearch.Evaluation.Torch;

/// <summary>
/// Process-wide libtorch settings that must be made before libtorch loads. ActSearch runs candidates in parallel
/// through slots (one thread each, see <c>DeviceSlots</c>), not through libtorch's OpenMP teams: team threads spin
/// while they wait, and two worker processes on a 2-core machine each spinning a team ran 5× slower per candidate
/// than one alone (tests/ActSearch.Cluster.Tests' scaling benchmark). So unless the user set it, OMP_NUM_THREADS is 1.
/// </summary>
internal static class TorchProcess
{
    private const string OpenMpThreads = "OMP_NUM_THREADS";
    private static int _prepared;

    /// <summary>Sets OMP_NUM_THREADS=1 in the native environment when unset; idempotent; call before libtorch loads.</summary>
    public static void Prepare()
    {
        if (Interlocked.Exchange(ref _prepared, 1) == 1) return;
        if (Environment.GetEnvironmentVariable(OpenMpThreads) is { Length: > 0 }) return;
        // The managed environment is a copy on Unix: libgomp reads the native one, so set that.
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) _ = setenv(OpenMpThreads, "1", 0);
        Environment.SetEnvironmentVariable(OpenMpThreads, "1");
    }

    [DllImport("libc", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int setenv(string name, string value, int overwrite);
}
