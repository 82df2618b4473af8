using ActSearch.Expressions;

namespace ActSearch.Storage.Tests;

/// <summary>Features kept per function (schema 10): one vector per function, kind, task and version, read by function too.</summary>
public sealed class FeatureTests(PostgresServer server) : DatabaseTest(server)
{
    [Fact]
    public async Task A_functions_vectors_come_back_by_kind_task_and_latest_version_with_every_number_and_their_cost()
    {
        var function = Fingerprint.Of(ExprParser.Parse($"x * {Random.Shared.Next(1, 1_000_000)} + tanh(x)"));
        double[] spectrum = [0.5, -7.25, double.Epsilon, -8.0];
        await Storage.Features.SaveAsync(
        [
            new FeatureRecord(function, "fisher", "fmnist-mlp", 1, [1.0], 0.01),
            new FeatureRecord(function, "fisher", "fmnist-cnn", 1, spectrum, 0.064),
            new FeatureRecord(function, "fisher", "fmnist-cnn", 2, [2.0, 3.0], 0.07),
        ]);
        await Storage.Features.SaveAsync([new FeatureRecord(function, "fisher", "fmnist-cnn", 1, [9.0], 0.5)]); // kept: the first

        var rows = await Storage.Features.OfAsync(function);
        Assert.Equal([("fmnist-cnn", 2), ("fmnist-cnn", 1), ("fmnist-mlp", 1)], rows.Select(r => (r.Task, r.Version)));
        Assert.Equal(spectrum, rows[1].Values);
        Assert.Equal(0.064, rows[1].Seconds);
        Assert.True(rows[1].ComputedAt > DateTimeOffset.UtcNow.AddMinutes(-5));
        Assert.Empty(await Storage.Features.OfAsync(new Fingerprint(function.Value ^ 1)));
    }

    [Fact]
    public async Task A_vector_without_a_kind_or_with_a_negative_cost_is_refused_and_none_of_its_batch_is_stored()
    {
        var function = Fingerprint.Of(ExprParser.Parse($"x + {Random.Shared.Next(1, 1_000_000)}"));
        await Assert.ThrowsAsync<ArgumentException>(() => Storage.Features.SaveAsync(
            [new FeatureRecord(function, "fisher", "t", 1, [1.0], 0.1), new FeatureRecord(function, "", "t", 1, [1.0], 0.1)]));
        await Assert.ThrowsAsync<ArgumentException>(() => Storage.Features.SaveAsync([new FeatureRecord(function, "fisher", "t", 1, [1.0], -1)]));
        Assert.Empty(await Storage.Features.OfAsync(function));
    }
}
