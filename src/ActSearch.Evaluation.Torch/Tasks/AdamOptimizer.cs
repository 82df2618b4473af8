using TorchSharp;
using static TorchSharp.torch;

namespace ActSearch.Evaluation.Torch.Tasks;

/// <summary>
/// Adam (Kingma and Ba 2015; betas 0.9 and 0.999, eps 1e-8, no weight decay), the update PyTorch and TorchSharp make,
/// operation for operation, so training results are the same bits as with <c>torch.optim.Adam</c>. It exists because
/// TorchSharp 0.107's Adam hands temporary <see cref="Scalar"/>s to native calls without keeping them alive: a garbage
/// collection during the call may finalize one and free its native value, and the update then reads freed memory
/// (seen as "Expected false to be true ... toFloat" from <c>add_</c> and <c>addcmul_</c> when runs train beside other
/// allocations; a corrupted value that does not overflow would pass silently). Every <see cref="Scalar"/> here lives in a
/// variable until its call has returned.
/// </summary>
public sealed class AdamOptimizer : IDisposable
{
    public const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;

    private readonly TorchSharp.Modules.Parameter[] _parameters;
    private readonly Tensor[] _firstMoments, _secondMoments;
    private readonly double _learningRate;
    private int _step;

    public AdamOptimizer(IEnumerable<TorchSharp.Modules.Parameter> parameters, double learningRate)
    {
        _parameters = [.. parameters];
        _learningRate = learningRate;
        using var _ = no_grad();
        _firstMoments = [.. _parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
        _secondMoments = [.. _parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
    }

    /// <summary>Zeroes the gradients of every parameter that has one.</summary>
    public void ZeroGrad()
    {
        foreach (var p in _parameters)
            if (p.grad is { } grad) grad.zero_();
    }

    /// <summary>One update of every parameter with a gradient (call inside a dispose scope: the temporaries go with it).</summary>
    public void Step()
    {
        _step++;
        double correction1 = 1 - Math.Pow(Beta1, _step), correction2 = 1 - Math.Pow(Beta2, _step);
        using var _ = no_grad();
        using Scalar beta1 = Beta1, keep1 = 1 - Beta1, beta2 = Beta2, keep2 = 1 - Beta2, eps = Epsilon;
        using Scalar root2 = Math.Sqrt(correction2), stepSize = -(_learningRate / correction1);
        for (int i = 0; i < _parameters.Length; i++)
        {
            if (_parameters[i].grad is not { } grad) continue;
            _firstMoments[i].mul_(beta1).add_(grad, alpha: keep1);
            _secondMoments[i].mul_(beta2).addcmul_(grad, grad, value: keep2);
            var denominator = (_secondMoments[i].sqrt() / root2).add_(eps);
            _parameters[i].addcdiv_(_firstMoments[i], denominator, value: stepSize);
        }
    }

    public void Dispose()
    {
        foreach (var t in _firstMoments) t.Dispose();
        foreach (var t in _secondMoments) t.Dispose();
    }
}
