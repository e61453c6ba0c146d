using Microsoft.Extensions.Options;
using MtaStsReporting.Daemon.Hosting;

namespace MtaStsReporting.Daemon.Security;

/// <summary>Checks the limits at start.</summary>
internal sealed class LimitsOptionsValidator : IValidateOptions<MtaStsReporting.Daemon.Security.LimitsOptions>
{
    public ValidateOptionsResult Validate(string? name, MtaStsReporting.Daemon.Security.LimitsOptions options)
    {
        var errors = new List<string>();
        SettingChecks.Range(errors, "Limits:CallsPerSecondPerCaller", options.CallsPerSecondPerCaller, 0, 10_000_000);
        SettingChecks.Range(errors, "Limits:MaxMessageBytes", options.MaxMessageBytes, 1024, 256 * 1024 * 1024);
        SettingChecks.Range(errors, "Limits:MaxStreamsPerConnection", options.MaxStreamsPerConnection, 1, 10_000);
        return SettingChecks.Result(errors);
    }
}
