using ActSearch.Evaluation.Tasks;
using ActSearch.Evaluation.Torch.Evaluation;
using static TorchSharp.torch;

namespace ActSearch.Evaluation.Torch.Tests;

/// <summary>The baseline table's formulas compute the functions their papers define, without overflow in training.</summary>
public class BaselineTests
{
    [Fact]
    public void GoLU_is_x_times_the_Gompertz_function_and_stays_finite_far_below_zero()
    {
        using var scope = NewDisposeScope();
        var golu = Assert.Single(Baselines.Activations, b => b.Name == "golu");
        using var module = golu.Slot(0);
        var x = tensor(new float[] { -200, -90, -5, -1, 0, 0.5f, 2, 30 }).reshape(1, -1).requires_grad_(true);
        var y = module.forward(x);
        y.sum().backward();

        var expected = x.detach().to(ScalarType.Float64) * exp(-exp(-x.detach().to(ScalarType.Float64)));
        Assert.True(y.to(ScalarType.Float64).allclose(expected, rtol: 1e-5, atol: 1e-7), $"{string.Join(", ", y.data<float>().ToArray())}");
        var grad = x.grad!.data<float>().ToArray();
        Assert.All(grad, g => Assert.True(float.IsFinite(g), $"gradient {string.Join(", ", grad)}"));
        Assert.Equal(Math.Exp(-1), grad[4], 5); // d/dx at 0: exp(-exp(0)) = 1/e
    }

    [Fact]
    public void PolyReLU_starts_as_a_third_of_relu_plus_its_square_plus_its_cube_and_learns_its_coefficients()
    {
        using var scope = NewDisposeScope();
        var poly = Assert.Single(Baselines.Activations, b => b.Name == "polyrelu");
        using var module = poly.Slot(0);
        Assert.Equal(4, module.parameters().Count());
        var x = tensor(new double[] { -3, -0.5, 0, 0.5, 1, 2 }).reshape(1, -1).to(ScalarType.Float32);
        var r = nn.functional.relu(x.to(ScalarType.Float64));
        var expected = (r + r.square() + r.pow(3)) * 0.3333;
        Assert.True(module.forward(x).to(ScalarType.Float64).allclose(expected, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void PolyNorm_is_the_sum_of_RMS_normalized_powers_per_position_and_only_fills_transformer_blocks()
    {
        using var scope = NewDisposeScope();
        var polynorm = Assert.Single(Baselines.Activations, b => b.Name == "polynorm");
        Assert.True(polynorm.Fits(TaskCatalog.Get("charlm-transformer")));
        Assert.True(polynorm.Fits(TaskCatalog.Get("charlm-glu")));
        Assert.False(polynorm.Fits(TaskCatalog.Get("fmnist-cnn")));
        Assert.False(polynorm.Fits(TaskCatalog.Get("deep-mlp")));
        using var module = polynorm.Slot(16);
        Assert.Equal(4, module.parameters().Count()); // the weights and the bias; no per-channel affine of a layer
        var x = randn([6, 16], generator: new Generator(7)).to(ScalarType.Float64);
        Tensor Norm(Tensor t) => t * (t.square().mean([1], keepdim: true) + 1e-6).rsqrt();
        var expected = (Norm(x) + Norm(x.square()) + Norm(x.pow(3))) * 0.3333;
        Assert.True(module.forward(x.to(ScalarType.Float32)).to(ScalarType.Float64).allclose(expected, rtol: 1e-4, atol: 1e-5));
    }

    [Theory]
    [InlineData("relu", 0, 1)]
    [InlineData("swish", 1, 14)]
    [InlineData("pau", 10, 21)]           // p0..p5, q1..q4; Horner on both, abs, add, divide
    [InlineData("kan_spline", 12, 62)]    // w and 11 coefficients
    [InlineData("evonorm_s0", 1 + 2, 23 + 2)] // v1, and the layer's gamma and beta
    [InlineData("bn_relu", 2, 5)]
    public void Every_baseline_states_its_cost(string name, int parameters, double flops)
    {
        var b = Assert.Single(Baselines.All, b => b.Name == name);
        Assert.Equal(parameters, b.Parameters);
        Assert.Equal(flops, b.Flops);
    }

    [Fact]
    public void Gate_only_baselines_fill_gated_slots_only_and_every_activation_baseline_fills_them_too()
    {
        var gated = TaskCatalog.Get("charlm-glu");
        var plain = TaskCatalog.Get("charlm-transformer");
        var vgg = TaskCatalog.Get("fmnist-vgg");
        Assert.Equal(["bilinear", "glu"], Baselines.All.Where(b => b.GatedOnly).Select(b => b.Name).Order());
        Assert.Equal(Baselines.Activations.Select(b => b.Name), Baselines.For(gated).Select(b => b.Name));
        Assert.Equal(Baselines.Activations.Where(b => !b.GatedOnly).Select(b => b.Name), Baselines.For(plain).Select(b => b.Name));
        Assert.Equal(Baselines.Layers.Select(b => b.Name), Baselines.For(vgg).Select(b => b.Name));
    }
}
