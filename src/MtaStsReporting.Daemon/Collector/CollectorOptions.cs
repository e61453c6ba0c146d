using System.Globalization;
using Microsoft.Extensions.Options;
using MtaStsReporting.Daemon.Hosting;

namespace MtaStsReporting.Daemon.Collector;

/// <summary>
/// The libtlsrpt datagram collector. Section <c>Collector</c>; off unless <see cref="Socket"/>
/// is set. Postfix points <c>smtp_tlsrpt_socket_name</c> at the same path.
/// </summary>
public sealed class CollectorOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Collector";

    /// <summary>
    /// Path of the <c>AF_UNIX</c> datagram socket to bind. A chrooted Postfix <c>smtp</c> reaches
    /// it under its queue directory, e.g. <c>/var/spool/postfix/run/tlsrpt/tlsrpt.sock</c>.
    /// </summary>
    public string? Socket { get; set; }

    /// <summary>File mode of the socket, in octal. Writers need write permission on it.</summary>
    public string Mode { get; set; } = "0660";

    /// <summary>Group of the socket (name or number), e.g. <c>postfix</c>; unset keeps the daemon's.</summary>
    public string? Group { get; set; }

    /// <summary>
    /// Receive buffer asked of the kernel, in bytes. Above <c>net.core.rmem_max</c> it is forced
    /// when the daemon may (CAP_NET_ADMIN), capped otherwise; the size obtained is logged at start.
    /// </summary>
    public int ReceiveBufferBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>Longest datagram read; a longer one is refused as too large. Default: the most a sender with default buffers can send.</summary>
    public int MaxDatagramBytes { get; set; } = 256 * 1024;

    /// <summary>Longest time between a datagram's arrival and its commit (what a crash can lose).</summary>
    public TimeSpan CommitInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Received bytes that may wait to be read, in MiB, before datagrams are dropped instead of stalling the socket.</summary>
    public int MaxQueuedMiB { get; set; } = 256;

    /// <summary>Optional folder that keeps samples of refused datagrams (at most <see cref="MaxSamples"/> files, the newest).</summary>
    public string? SampleFolder { get; set; }

    /// <summary>Most sample files kept.</summary>
    public int MaxSamples { get; set; } = 100;

    /// <summary>Log lines about refused datagrams per minute; the rest are counted in the metrics and in the next line.</summary>
    public int LogLinesPerMinute { get; set; } = 10;

    /// <summary>True when the collector runs.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Socket);

    /// <summary>The mode as a file mode; valid once validated.</summary>
    public UnixFileMode FileMode => (UnixFileMode)Convert.ToInt32(Mode, 8);

    /// <summary>Reads an octal mode; false when it is not one.</summary>
    internal static bool IsOctalMode(string? text) =>
        text is { Length: >= 3 and <= 4 } && text.All(c => c is >= '0' and <= '7') && Convert.ToInt32(text, 8) <= 0x1FF;

    internal static string Describe(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');

    internal static int? NumericGroup(string group) =>
        int.TryParse(group, NumberStyles.None, CultureInfo.InvariantCulture, out var gid) ? gid : null;
}

/// <summary>Checks <see cref="CollectorOptions"/> at start; messages name the setting.</summary>
internal sealed class CollectorOptionsValidator : IValidateOptions<CollectorOptions>
{
    public ValidateOptionsResult Validate(string? name, CollectorOptions options)
    {
        var errors = new List<string>();
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        if (!Path.IsPathFullyQualified(options.Socket!))
        {
            errors.Add($"Collector:Socket must be an absolute path (got '{options.Socket}').");
        }
        else if (System.Text.Encoding.UTF8.GetByteCount(options.Socket!) > 107)
        {
            errors.Add($"Collector:Socket is longer than the 107 bytes a unix socket path may have (got '{options.Socket}').");
        }

        if (!CollectorOptions.IsOctalMode(options.Mode))
        {
            errors.Add($"Collector:Mode must be an octal file mode such as 0660 or 0666 (got '{options.Mode}').");
        }

        SettingChecks.Range(errors, "Collector:ReceiveBufferBytes", options.ReceiveBufferBytes, 64 * 1024, 1024 * 1024 * 1024);
        SettingChecks.Range(errors, "Collector:MaxDatagramBytes", options.MaxDatagramBytes, 4 * 1024, 16 * 1024 * 1024);
        SettingChecks.Range(errors, "Collector:MaxQueuedMiB", options.MaxQueuedMiB, 16, 64 * 1024);
        SettingChecks.Range(errors, "Collector:MaxSamples", options.MaxSamples, 1, 100_000);
        SettingChecks.Range(errors, "Collector:LogLinesPerMinute", options.LogLinesPerMinute, 1, 10_000);
        if (options.CommitInterval < TimeSpan.FromMilliseconds(10) || options.CommitInterval > TimeSpan.FromMinutes(1))
        {
            errors.Add($"Collector:CommitInterval must be between 00:00:00.010 and 00:01:00 (got {options.CommitInterval}).");
        }

        return SettingChecks.Result(errors);
    }
}
