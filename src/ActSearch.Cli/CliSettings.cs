using ActSearch.Evaluation.Torch;
using ActSearch.Evaluation.Torch.Scheduling;
using ActSearch.Hosting;
using Microsoft.Extensions.Options;

namespace ActSearch.Cli;

/// <summary>
/// The <c>ACTSEARCH_*</c> settings as the commands read them: through the hosts' validated <see cref="ActSearchOptions"/>
/// (libraries take what they need as arguments); an invalid setting is the user's mistake (a one-line usage error).
/// </summary>
internal static class CliSettings
{
    public static ActSearchOptions Read()
    {
        try
        {
            return ActSearchOptions.FromEnvironment();
        }
        catch (OptionsValidationException e)
        {
            throw new UsageException(string.Join(" ", e.Failures));
        }
    }

    /// <summary>Training slots on ACTSEARCH_DEVICE, ACTSEARCH_SLOTS of them; a device that is not there is a usage error.</summary>
    public static DeviceSlots Slots()
    {
        var settings = Read();
        try
        {
            return DeviceSlots.For(DeviceSelector.Select(settings.Device), settings.Slots);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new UsageException(e.Message);
        }
    }
}
