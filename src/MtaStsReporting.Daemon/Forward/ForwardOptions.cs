using Microsoft.Extensions.Options;
using MtaStsReporting.Daemon.Hosting;

namespace MtaStsReporting.Daemon.Forward;

/// <summary>
/// The forwarder (<c>mtasts-reporting forward</c>): a collector on a relay host that sends what
/// it counts to a central daemon. Section <c>Forward</c>; the socket is <c>Collector:*</c>.
/// </summary>
public sealed class ForwardOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Forward";

    /// <summary>The central daemon's gRPC address, e.g. <c>https://reports.example.net:50051</c>.</summary>
    public string? To { get; set; }

    /// <summary>A file holding a relay key of the central daemon (or <c>MTASTS_REPORTING_API_KEY</c>).</summary>
    public string? KeyFile { get; set; }

    /// <summary>A PEM file of the CAs to trust for the central daemon's certificate; unset: the system's.</summary>
    public string? CaFile { get; set; }

    /// <summary>Folder of batches not yet acknowledged by the central daemon.</summary>
    public string Spool { get; set; } = "data/forward-spool";

    /// <summary>Most disk the spool may take, in MiB; past it, counts wait in memory.</summary>
    public int SpoolMaxMiB { get; set; } = 1024;

    /// <summary>Where the forwarder serves <c>/metrics</c> and <c>/healthz</c>.</summary>
    public string Listen { get; set; } = "http://127.0.0.1:50053";

    /// <summary>Most items (days of counts and their details) in one batch; the central daemon's Relay:MaxBatchItems must allow it.</summary>
    public int MaxBatchItems { get; set; } = 5_000;

    /// <summary>First wait after a failed send; it doubles up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan MinRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between attempts while the central daemon is unreachable.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest wait for one call.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Checks <see cref="ForwardOptions"/> at start; messages name the setting.</summary>
internal sealed class ForwardOptionsValidator : IValidateOptions<ForwardOptions>
{
    public ValidateOptionsResult Validate(string? name, ForwardOptions options)
    {
        var errors = new List<string>();
        if (!Uri.TryCreate(options.To, UriKind.Absolute, out var to) || to.Scheme is not ("http" or "https"))
        {
            errors.Add($"--to (Forward:To) must be the central daemon's http:// or https:// address (got '{options.To}').");
        }

        if (!Uri.TryCreate(options.Listen, UriKind.Absolute, out var listen) || listen.Scheme != "http")
        {
            errors.Add($"--listen (Forward:Listen) must be an http:// address for /metrics and /healthz (got '{options.Listen}').");
        }

        if (string.IsNullOrWhiteSpace(options.Spool))
        {
            errors.Add("--spool (Forward:Spool) must name a folder.");
        }

        SettingChecks.Range(errors, "Forward:SpoolMaxMiB", options.SpoolMaxMiB, 1, 1024 * 1024);
        SettingChecks.Range(errors, "Forward:MaxBatchItems", options.MaxBatchItems, 10, 1_000_000);
        if (options.MinRetryDelay <= TimeSpan.Zero || options.MaxRetryDelay < options.MinRetryDelay)
        {
            errors.Add($"Forward:MinRetryDelay must be above zero and at most Forward:MaxRetryDelay (got {options.MinRetryDelay} and {options.MaxRetryDelay}).");
        }

        if (options.CallTimeout < TimeSpan.FromSeconds(1))
        {
            errors.Add($"Forward:CallTimeout must be at least 1 s (got {options.CallTimeout}).");
        }

        return SettingChecks.Result(errors);
    }
}
