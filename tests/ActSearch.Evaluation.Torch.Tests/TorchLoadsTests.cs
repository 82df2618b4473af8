using TorchSharp;
using static TorchSharp.torch;

namespace ActSearch.Evaluation.Torch.Tests;

public class TorchLoadsTests
{
    static TorchLoadsTests() => TestTorch.Init();

    [Fact]
    public void Native_library_loads_and_a_training_step_lowers_the_loss()
    {
        var device = DeviceSelector.Select("auto");
        using var scope = NewDisposeScope();
        manual_seed(1);
        var x = randn(64, 4, device: device);
        var y = x.matmul(tensor(new float[] { 1, -2, 0.5f, 3 }, device: device).reshape(4, 1)) + 0.1f;
        var model = nn.Linear(4, 1).to(device);
        var opt = optim.SGD(model.parameters(), 0.1);
        float first = 0, last = 0;
        for (int step = 0; step < 20; step++)
        {
            using var stepScope = NewDisposeScope();
            opt.zero_grad();
            var loss = nn.functional.mse_loss(model.forward(x), y);
            loss.backward();
            opt.step();
            float value = loss.item<float>();
            if (step == 0) first = value;
            last = value;
        }
        Assert.True(last < first * 0.5f, $"loss went from {first} to {last}");
    }

    [Theory]
    [InlineData("cpu")]
    [InlineData("CPU")]
    [InlineData(" auto ")]
    [InlineData(null)]
    public void Device_settings_resolve(string? setting)
    {
        var d = DeviceSelector.Select(setting);
        Assert.True(d.type is DeviceType.CPU or DeviceType.CUDA);
        if (setting?.Trim().Equals("cpu", StringComparison.OrdinalIgnoreCase) == true) Assert.Equal(DeviceType.CPU, d.type);
    }

    [Fact]
    public void Unknown_device_setting_is_rejected_with_the_choices()
    {
        var e = Assert.Throws<ArgumentException>(() => DeviceSelector.Select("tpu"));
        Assert.Contains("auto, cpu, cuda", e.Message);
    }

    [Fact]
    public void Cuda_without_cuda_is_an_error_not_a_fallback()
    {
        if (cuda.is_available()) return;
        Assert.Throws<InvalidOperationException>(() => DeviceSelector.Select("cuda"));
    }
}
