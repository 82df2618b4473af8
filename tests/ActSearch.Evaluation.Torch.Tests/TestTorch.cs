using TorchSharp;

namespace ActSearch.Evaluation.Torch.Tests;

/// <summary>One place that keeps libtorch to one thread: tests run beside other builds on small machines.</summary>
internal static class TestTorch
{
    private static int _done;

    public static void Init()
    {
        if (Interlocked.Exchange(ref _done, 1) == 1) return;
        torch.set_num_threads(1);
    }
}
