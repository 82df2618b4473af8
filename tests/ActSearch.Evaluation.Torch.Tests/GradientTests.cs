using ActSearch.Evaluation.Torch.Compilation;
using ActSearch.Expressions;
using TorchSharp;
using static TorchSharp.torch;

namespace ActSearch.Evaluation.Torch.Tests;

/// <summary>
/// torch.autograd.gradcheck in the small: in float64, the gradient autograd computes for a weighted sum of the
/// module's outputs agrees with central finite differences, for the input and for every learnable parameter.
/// </summary>
public class GradientTests
{
    static GradientTests() => TestTorch.Init();

    private static readonly ParseOptions Layer = new() { DefaultParameterShape = ParameterShape.PerChannel };

    private const double Eps = 1e-6;

    private static void GradCheck(nn.Module<Tensor, Tensor> module, long[] shape, int seed, double shift = 0)
    {
        using var scope = NewDisposeScope();
        module.to(ScalarType.Float64);
        manual_seed(seed);
        var x = (randn(shape, ScalarType.Float64) + shift).requires_grad_(true);
        var w = randn(shape, ScalarType.Float64);
        double Loss(Tensor input)
        {
            using var _ = no_grad();
            return (module.forward(input) * w).sum().item<double>();
        }

        var loss = (module.forward(x) * w).sum();
        loss.backward();
        var analytic = x.grad!.clone();
        var parameters = module.named_parameters().ToList();
        var paramGrads = parameters.Select(p => p.parameter.grad!.clone()).ToList();

        // The input.
        var flat = x.detach().clone().flatten();
        for (long i = 0; i < flat.numel(); i++)
        {
            double v = flat[i].item<double>();
            flat[i] = v + Eps;
            double up = Loss(flat.view(shape));
            flat[i] = v - Eps;
            double down = Loss(flat.view(shape));
            flat[i] = v;
            AssertGrad((up - down) / (2 * Eps), analytic.flatten()[i].item<double>(), $"d/dx[{i}]");
        }

        // Every learnable parameter.
        for (int k = 0; k < parameters.Count; k++)
        {
            var (name, p) = parameters[k];
            var pf = p.detach().view(-1);
            for (long i = 0; i < pf.numel(); i++)
            {
                double v = pf[i].item<double>();
                using (no_grad()) pf[i] = v + Eps;
                double up = Loss(x.detach());
                using (no_grad()) pf[i] = v - Eps;
                double down = Loss(x.detach());
                using (no_grad()) pf[i] = v;
                AssertGrad((up - down) / (2 * Eps), paramGrads[k].view(-1)[i].item<double>(), $"d/d{name}[{i}]");
            }
        }
    }

    private static void AssertGrad(double numeric, double analytic, string what)
    {
        Assert.False(double.IsNaN(analytic), $"{what}: autograd gives NaN");
        Assert.True(Math.Abs(numeric - analytic) <= 1e-5 * Math.Max(Math.Abs(numeric), Math.Abs(analytic)) + 1e-6,
            $"{what}: finite differences give {numeric:R}, autograd {analytic:R}");
    }

    [Theory]
    [InlineData("x * sigmoid(beta{1.3} * x)")]
    [InlineData("pdiv(x, relu(x) + 0.5) + slog(x) + ssqrt(x) * softplus(x)")]
    [InlineData("max(x, 0.3 * x) + min(gauss(x), erf(x)) + pow(abs(x) + 1, sin(x))")]
    [InlineData("tanh(x) * atan(x) + asinh(x) / (1 + square(x)) - cube(cos(x)) + sinh(x) * exp(-abs(x))")]
    [InlineData("log(abs(x) + 1) + sqrt(abs(x) + 0.1) - neg(x) * alpha{0.2}")]
    public void Activation_gradients_match_finite_differences(string formula)
    {
        using var module = ExprModule.Compile(ExprParser.Parse(formula));
        GradCheck(module, [5, 3], 1);
    }

    [Fact]
    public void Pdiv_gradient_is_finite_where_the_divisor_is_zero()
    {
        using var scope = NewDisposeScope();
        using var module = ExprModule.Compile(ExprParser.Parse("pdiv(x, relu(x))"));
        module.to(ScalarType.Float64);
        var x = tensor(new double[] { -1, 0, 2 }, ScalarType.Float64).reshape(3, 1).requires_grad_(true);
        module.forward(x).sum().backward();
        Assert.Equal([0, 0, 0], x.grad!.data<double>().ToArray());
    }

    [Fact]
    public void Layer_statistics_gradients_match_finite_differences()
    {
        using var module = ExprModule.Compile(ExprParser.Parse("layer_std(x) * instance_m2(x) + group_mean(x * v0{0.5}, 2) - batch_mean(x)", Layer),
            new ExprCompileOptions { Channels = 4 });
        GradCheck(module, [3, 4, 2, 3], 2);
    }

    [Fact]
    public void EvoNorm_B0_gradients_match_finite_differences_in_training()
    {
        using var layer = new NormActivationLayer(ExprParser.Parse(CompilerTests.EvoNormB0, Layer), 4);
        layer.train();
        GradCheck(layer, [4, 4, 3, 3], 3);
    }

    [Fact]
    public void EvoNorm_S0_gradients_match_finite_differences()
    {
        using var layer = new NormActivationLayer(ExprParser.Parse(CompilerTests.EvoNormS0, Layer), 32);
        GradCheck(layer, [2, 32, 2, 2], 4);
    }

    [Fact]
    public void NC_inputs_get_per_channel_parameters_as_1_by_C()
    {
        using var module = ExprModule.Compile(ExprParser.Parse("x * sigmoid(v1 * x) / sqrt(layer_var(x) + instance_var(x) + 1e-5)", Layer),
            new ExprCompileOptions { Channels = 6 });
        GradCheck(module, [4, 6], 5);
    }
}
