using Microsoft.Extensions.Options;
using MtaStsReporting.Persistence;

namespace MtaStsReporting.Daemon.Hosting;

/// <summary>Where and how the embedded store is kept. Section <c>Storage</c>.</summary>
public sealed class StorageOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Storage";

    /// <summary>Folder of the database file; relative paths are taken from the working directory.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>File name of the SQLite database inside <see cref="DataDirectory"/>.</summary>
    public string DatabaseFile { get; set; } = "mtasts-reporting.db";

    /// <summary><c>Full</c> (fsync per commit; the default) or <c>Normal</c>.</summary>
    public SqliteDurability Durability { get; set; } = SqliteDurability.Full;

    /// <summary>Absolute path of the database file.</summary>
    public string DatabasePath => Path.GetFullPath(Path.Combine(DataDirectory, DatabaseFile));
}

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

/// <summary>Checks <see cref="StorageOptions"/> at start; messages name the setting.</summary>
internal sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            errors.Add("Storage:DataDirectory must name a folder.");
        }

        if (string.IsNullOrWhiteSpace(options.DatabaseFile) || options.DatabaseFile.IndexOfAny(['/', '\\']) >= 0)
        {
            errors.Add($"Storage:DatabaseFile must be a plain file name (got '{options.DatabaseFile}').");
        }

        if (!Enum.IsDefined(options.Durability))
        {
            errors.Add($"Storage:Durability must be Full or Normal (got '{options.Durability}').");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>Checks <see cref="RelayOptions"/> at start; messages name the setting.</summary>
internal sealed class RelayOptionsValidator : IValidateOptions<RelayOptions>
{
    public ValidateOptionsResult Validate(string? name, RelayOptions options)
    {
        var errors = new List<string>();
        Range(errors, "Relay:MaxBatchItems", options.MaxBatchItems, 1, 1_000_000);
        Range(errors, "Relay:MaxStreamItems", options.MaxStreamItems, 1, 100_000_000);
        Range(errors, "Relay:QueueCapacity", options.QueueCapacity, 1, 10_000_000);
        Range(errors, "Relay:MaxGroupBatches", options.MaxGroupBatches, 1, 1_000_000);
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

    private static void Range(List<string> errors, string setting, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            errors.Add($"{setting} must be between {min} and {max} (got {value}).");
        }
    }
}

/// <summary>Inbound report ingestion. Section <c>Ingestion</c>.</summary>
public sealed class IngestionOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Ingestion";

    /// <summary>Refuse report mail without a passing DKIM signature aligned with the reporter's domain.</summary>
    public bool RequireAlignedDkim { get; set; }

    /// <summary>Size and shape limits of one report.</summary>
    public MtaStsReporting.Domain.TlsRpt.ReportLimits Limits { get; set; } = new();
}

/// <summary>DNS used by the daemon (DKIM keys; later MTA-STS and TLS-RPT records). Section <c>Dns</c>.</summary>
public sealed class DnsOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Dns";

    /// <summary>Servers as <c>address</c> or <c>address:port</c>; empty for the system's resolvers.</summary>
    public List<string> Servers { get; set; } = [];

    /// <summary>Time to wait for an answer.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Checks <see cref="DnsOptions"/> at start.</summary>
internal sealed class DnsOptionsValidator : IValidateOptions<DnsOptions>
{
    public ValidateOptionsResult Validate(string? name, DnsOptions options)
    {
        var errors = new List<string>();
        for (var i = 0; i < options.Servers.Count; i++)
        {
            try
            {
                ParseEndpoint(options.Servers[i]);
            }
            catch (FormatException)
            {
                errors.Add($"Dns:Servers:{i} must be an IP address with an optional port (got '{options.Servers[i]}').");
            }
        }

        if (options.Timeout <= TimeSpan.Zero || options.Timeout > TimeSpan.FromMinutes(1))
        {
            errors.Add($"Dns:Timeout must be between 00:00:00 and 00:01:00 (got {options.Timeout}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>"192.0.2.53", "192.0.2.53:5353", "[2001:db8::53]:5353".</summary>
    public static System.Net.IPEndPoint ParseEndpoint(string text)
    {
        if (System.Net.IPAddress.TryParse(text, out var address))
        {
            return new System.Net.IPEndPoint(address, 53);
        }

        return System.Net.IPEndPoint.TryParse(text, out var endpoint) ? endpoint : throw new FormatException(text);
    }
}
