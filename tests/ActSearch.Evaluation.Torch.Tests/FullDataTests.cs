using ActSearch.Evaluation.Torch.Tasks;
using ActSearch.Expressions;
using static TorchSharp.torch;

namespace ActSearch.Evaluation.Torch.Tests;

/// <summary>
/// Runs alone, after the parallel tests: loading the full Fashion-MNIST allocates about 400 MB at once, and the
/// collections it would force while other tests train are better kept out of their way.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FullDataCollection
{
    public const string Name = "full data";
}

/// <summary>Tasks with a full data set (a fidelity rung's <c>data: full</c>): Debian's full Fashion-MNIST.</summary>
[Collection(FullDataCollection.Name)]
public class FullDataTests
{
    static FullDataTests() => TestTorch.Init();

    private static readonly ProxyTrainer Trainer = new(CPU);

    [Fact]
    public void Tasks_with_full_data_are_the_catalogs_and_the_others_refuse_it()
    {
        Assert.Equal(["deep-mlp", "fmnist-cnn", "fmnist-mlp", "fmnist-mobilenet", "fmnist-resnet", "fmnist-vgg"],
            ProxyTasks.All.Values.Where(t => t.FullData is not null).Select(t => t.Spec.Name).Order());
        Assert.All(ProxyTasks.All.Values, t => Assert.Equal(t.Spec.FullData is not null, t.FullData is not null));
        Assert.Contains("has no full data set", Assert.Throws<InvalidOperationException>(() => ProxyTasks.Get("charlm-glu").OnFullData()).Message);
        if (!Directory.Exists(ActSearch.Evaluation.Data.DataSets.DebianFashionMnist)) return; // CI installs Debian's dataset-fashion-mnist
        var full = ProxyTasks.Get("fmnist-cnn").OnFullData().Data();
        Assert.Equal((60_000, 10_000), (full.Train.Count, full.HeldOut.Count));
        Assert.Equal(6000, ProxyTasks.Get("fmnist-cnn").Data().Train.Count); // the task itself keeps its subset
    }

    /// <summary>
    /// A plan with full data (a fidelity rung's <c>data: full</c>) trains on Debian's full Fashion-MNIST: with the package
    /// installed (CI installs it) the candidate is scored on the 10,000 test images, so its accuracy is a fraction the
    /// committed 1,000-image test set cannot give; without it, the run fails saying what to install.
    /// </summary>
    [Fact]
    public void A_full_data_plan_scores_on_the_full_test_set_or_fails_saying_what_to_install()
    {
        var plan = new ActSearch.Evaluation.Rejection.EvaluationPlan { Tasks = ["fmnist-mlp"], Steps = 20, FullData = true };
        var scorer = new ActSearch.Evaluation.Torch.Evaluation.ProxyScorer(Trainer, plan);
        var candidate = new ActSearch.Evaluation.Rejection.ChainCandidate(ExprParser.Parse("x * sigmoid(x)"), false);
        if (!Directory.Exists(ActSearch.Evaluation.Data.DataSets.DebianFashionMnist))
        {
            Assert.Contains("dataset-fashion-mnist", Assert.Throws<DirectoryNotFoundException>(() => scorer.Score(candidate, CancellationToken.None)).Message);
            return;
        }
        var result = Assert.Single(scorer.Score(candidate, CancellationToken.None).Results);
        Assert.InRange(result.Accuracy, 0.3, 1.0);
        double correct = result.Accuracy * 10_000;
        Assert.Equal(Math.Round(correct), correct, 6);
        Assert.NotEqual(0, Math.Round(correct) % 10); // not a multiple of 1/1,000: the full test set scored it
    }
}
