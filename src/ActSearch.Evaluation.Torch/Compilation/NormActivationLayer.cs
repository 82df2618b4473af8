using ActSearch.Expressions;
using TorchSharp;
using TorchSharp.Modules;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace ActSearch.Evaluation.Torch.Compilation;

/// <summary>
/// A normalization-activation layer (EvoNorms): the compiled candidate followed by a per-channel affine
/// transform, <c>y = f(x) * gamma + beta</c>, gamma starting at 1 and beta at 0. It replaces a BN+ReLU pair.
/// </summary>
public sealed class NormActivationLayer : nn.Module<Tensor, Tensor>
{
    private readonly ExprModule core;
    private readonly Parameter gamma;
    private readonly Parameter beta;

    public NormActivationLayer(Expr expr, int channels, double momentum = 0.1) : base("NormActivation")
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        core = ExprModule.Compile(expr, new ExprCompileOptions { Channels = channels, Momentum = momentum });
        gamma = new Parameter(ones(channels));
        beta = new Parameter(zeros(channels));
        RegisterComponents();
    }

    /// <summary>The compiled candidate without the affine transform.</summary>
    public ExprModule Core => core;

    public Parameter Gamma => gamma;

    public Parameter Beta => beta;

    public override Tensor forward(Tensor x)
    {
        var shape = new long[x.dim()];
        Array.Fill(shape, 1L);
        shape[1] = gamma.shape[0];
        return torch.addcmul(beta.view(shape), core.forward(x), gamma.view(shape), 1);
    }
}

/// <summary>
/// A scalar activation (no aggregates) as a module. Equivalent to <see cref="ExprModule"/>, named for
/// readability where a network expects an activation.
/// </summary>
public static class Activation
{
    public static ExprModule Compile(Expr expr, int channels = 0) =>
        expr.HasAggregates()
            ? throw new ArgumentException($"'{expr}' has tensor statistics; use NormActivationLayer for normalization-activation layers.", nameof(expr))
            : ExprModule.Compile(expr, new ExprCompileOptions { Channels = channels });
}
