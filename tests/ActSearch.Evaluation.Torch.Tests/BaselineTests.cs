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
}
