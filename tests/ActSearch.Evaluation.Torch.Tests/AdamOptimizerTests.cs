using ActSearch.Evaluation.Torch.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace ActSearch.Evaluation.Torch.Tests;

/// <summary>Our Adam makes TorchSharp's update bit for bit (it exists only to keep its Scalars alive during native calls).</summary>
public class AdamOptimizerTests
{
    static AdamOptimizerTests() => TestTorch.Init();

    private static nn.Module<Tensor, Tensor> Net()
    {
        manual_seed(11);
        return nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 3));
    }

    [Fact]
    public void Twenty_steps_give_the_same_parameters_as_torchsharps_adam()
    {
        using var scope = NewDisposeScope();
        var x = randn(32, 8, generator: new Generator(3));
        var y = randint(0, 3, [32], generator: new Generator(4));
        using var ours = Net();
        using var theirs = Net();
        using var adam = new AdamOptimizer(ours.parameters(), 3e-3);
        using var reference = optim.Adam(theirs.parameters(), 3e-3);
        for (int step = 0; step < 20; step++)
        {
            using var inner = NewDisposeScope();
            adam.ZeroGrad();
            nn.functional.cross_entropy(ours.forward(x), y).backward();
            adam.Step();
            reference.zero_grad();
            nn.functional.cross_entropy(theirs.forward(x), y).backward();
            reference.step();
        }
        foreach (var (a, b) in ours.parameters().Zip(theirs.parameters()))
            Assert.True(a.eq(b).all().item<bool>(), "a parameter differs from TorchSharp's Adam");
        Assert.False(ours.parameters().First().eq(Net().parameters().First()).all().item<bool>(), "training moved the parameters");
    }
}
