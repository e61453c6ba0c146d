using Microsoft.Extensions.Options;
using MtaStsReporting.Daemon.Hosting;

namespace MtaStsReporting.Daemon.Relay;

/// <summary>Limits of the relay API. Section <c>Relay</c>.</summary>
public sealed class RelayOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Relay";

    /// <summary>Most outcomes (sessions + policy fetches) in one unary call or one stream message.</summary>
    public int MaxBatchItems { get; set; } = 10_000;

    /// <summary>Most outcomes in one streaming call (the stream is one batch, folded in memory).</summary>
    public int MaxStreamItems { get; set; } = 5_000_000;

    /// <summary>How far ahead of the daemon's clock an outcome's time may be (relay clocks drift).</summary>
    public TimeSpan MaxFutureSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How old an outcome may be. Reports cover UTC days and go out soon after (RFC 8460 §4.1),
    /// so an outcome much older than that can no longer be reported.
    /// </summary>
    public TimeSpan MaxOutcomeAge { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Batches that may wait for a group commit before callers are held back.</summary>
    public int QueueCapacity { get; set; } = 65_536;

    /// <summary>Most batches in one group commit.</summary>
    public int MaxGroupBatches { get; set; } = 4_096;
}

/// <summary>Checks <see cref="RelayOptions"/> at start; messages name the setting.</summary>
internal sealed class RelayOptionsValidator : IValidateOptions<RelayOptions>
{
    public ValidateOptionsResult Validate(string? name, RelayOptions options)
    {
        var errors = new List<string>();
        SettingChecks.Range(errors, "Relay:MaxBatchItems", options.MaxBatchItems, 1, 1_000_000);
        SettingChecks.Range(errors, "Relay:MaxStreamItems", options.MaxStreamItems, 1, 100_000_000);
        SettingChecks.Range(errors, "Relay:QueueCapacity", options.QueueCapacity, 1, 10_000_000);
        SettingChecks.Range(errors, "Relay:MaxGroupBatches", options.MaxGroupBatches, 1, 1_000_000);
        if (options.MaxFutureSkew < TimeSpan.Zero || options.MaxFutureSkew > TimeSpan.FromDays(1))
        {
            errors.Add($"Relay:MaxFutureSkew must be between 00:00:00 and 1.00:00:00 (got {options.MaxFutureSkew}).");
        }

        if (options.MaxOutcomeAge < TimeSpan.FromHours(1) || options.MaxOutcomeAge > TimeSpan.FromDays(3660))
        {
            errors.Add($"Relay:MaxOutcomeAge must be between 01:00:00 and 3660.00:00:00 (got {options.MaxOutcomeAge}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

}
