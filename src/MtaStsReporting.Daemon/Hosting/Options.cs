using Microsoft.Extensions.Options;

namespace MtaStsReporting.Daemon.Hosting;

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

/// <summary>Inbound report ingestion. Section <c>Ingestion</c>.</summary>
public sealed class IngestionOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Ingestion";

    /// <summary>Refuse report mail without a passing DKIM signature aligned with the reporter's domain.</summary>
    public bool RequireAlignedDkim { get; set; }

    /// <summary>Size and shape limits of one report.</summary>
    public MtaStsReporting.Domain.TlsRpt.ReportLimits Limits { get; set; } = new();

    /// <summary>IMAP mailboxes to read reports from.</summary>
    public List<MailboxOptions> Mailboxes { get; set; } = [];

    /// <summary>The HTTPS upload endpoint.</summary>
    public HttpsIngestionOptions Https { get; set; } = new();
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

/// <summary>How to secure an IMAP connection.</summary>
public enum MailboxTls
{
    /// <summary>TLS from the first byte (port 993).</summary>
    Implicit,

    /// <summary>STARTTLS after connecting; refused if the server does not offer it.</summary>
    StartTls,

    /// <summary>No TLS: only for loopback and tests.</summary>
    None,
}

/// <summary>What becomes of mail in a report mailbox that is not a TLS report at all.</summary>
public enum OtherMail
{
    /// <summary>Left where it is, unread: the mailbox may be shared with a DMARC tool that reads the same folder.</summary>
    Leave,

    /// <summary>Left where it is, marked \Seen.</summary>
    MarkSeen,

    /// <summary>Moved to <c>OtherFolder</c> (a mailbox of TLS reports only).</summary>
    Move,
}

/// <summary>How a mailbox server's certificate revocation is checked.</summary>
public enum RevocationCheck
{
    /// <summary>Refuse a revoked certificate; accept one whose status cannot be learned (no CRL or OCSP address, or none reachable), as browsers do.</summary>
    BestEffort,

    /// <summary>Refuse a certificate unless its status is known and good (the CA's CRL or OCSP responder must be reachable).</summary>
    Required,

    /// <summary>Do not check (a private CA without CRLs, no outbound HTTP).</summary>
    Off,
}

/// <summary>One IMAP mailbox that receives RFC 8460 reports (an <c>rua=mailto:</c> address). Section <c>Mailboxes:N</c>.</summary>
public sealed class MailboxOptions
{
    /// <summary>A name for logs and health checks; defaults to user@host.</summary>
    public string? Name { get; set; }

    /// <summary>IMAP server host name or address.</summary>
    public string Host { get; set; } = string.Empty;

    /// <summary>Port; 0 for the default of the TLS mode (993, or 143).</summary>
    public int Port { get; set; }

    /// <summary>TLS mode.</summary>
    public MailboxTls Tls { get; set; } = MailboxTls.Implicit;

    /// <summary>Login name.</summary>
    public string User { get; set; } = string.Empty;

    /// <summary>File holding the password (first line).</summary>
    public string? PasswordFile { get; set; }

    /// <summary>Environment variable holding the password.</summary>
    public string? PasswordEnvironmentVariable { get; set; }

    /// <summary>Folder the reports arrive in.</summary>
    public string Folder { get; set; } = "INBOX";

    /// <summary>Folder a message moves to once its report is committed (created if missing).</summary>
    public string ProcessedFolder { get; set; } = "TLSRPT/Processed";

    /// <summary>Folder for TLS reports that cannot be read (created if missing).</summary>
    public string InvalidFolder { get; set; } = "TLSRPT/Invalid";

    /// <summary>What to do with mail that is not a TLS report (DMARC reports, bounces).</summary>
    public OtherMail OtherMail { get; set; } = OtherMail.Leave;

    /// <summary>Where <see cref="OtherMail.Move"/> puts it (created if missing).</summary>
    public string OtherFolder { get; set; } = "TLSRPT/Other";

    /// <summary>How often to look for new mail when the server has no IDLE.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Longest wait between reconnection attempts (backoff doubles from one second; a refused login waits this long at once).</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>PEM file of CA certificates trusted for this server besides the system's (an internal CA).</summary>
    public string? TrustedCaFile { get; set; }

    /// <summary>How the server certificate's revocation is checked.</summary>
    public RevocationCheck RevocationCheck { get; set; } = RevocationCheck.BestEffort;

    /// <summary>The name used in logs and health checks.</summary>
    public string DisplayName => Name ?? $"{User}@{Host}";

    /// <summary>Reads the password from the file or the variable.</summary>
    public string ReadPassword()
    {
        if (PasswordFile is not null)
        {
            return File.ReadLines(PasswordFile).FirstOrDefault() ?? string.Empty;
        }

        return PasswordEnvironmentVariable is not null ? Environment.GetEnvironmentVariable(PasswordEnvironmentVariable) ?? string.Empty : string.Empty;
    }
}

/// <summary>Checks the mailboxes at start; messages name the setting.</summary>
internal sealed class IngestionOptionsValidator : IValidateOptions<IngestionOptions>
{
    public ValidateOptionsResult Validate(string? name, IngestionOptions options)
    {
        var errors = new List<string>();
        for (var i = 0; i < options.Mailboxes.Count; i++)
        {
            var m = options.Mailboxes[i];
            var at = $"Ingestion:Mailboxes:{i}";
            if (string.IsNullOrWhiteSpace(m.Host))
            {
                errors.Add($"{at}:Host must name the IMAP server.");
            }

            if (m.Port is < 0 or > 65535)
            {
                errors.Add($"{at}:Port must be between 0 and 65535 (got {m.Port}).");
            }

            if (string.IsNullOrWhiteSpace(m.User))
            {
                errors.Add($"{at}:User is required.");
            }

            if (m.PasswordFile is null == m.PasswordEnvironmentVariable is null)
            {
                errors.Add($"{at}: set exactly one of PasswordFile and PasswordEnvironmentVariable.");
            }
            else if (m.PasswordFile is not null && !File.Exists(m.PasswordFile))
            {
                errors.Add($"{at}:PasswordFile '{m.PasswordFile}' does not exist.");
            }
            else if (m.PasswordEnvironmentVariable is not null && Environment.GetEnvironmentVariable(m.PasswordEnvironmentVariable) is null)
            {
                errors.Add($"{at}:PasswordEnvironmentVariable '{m.PasswordEnvironmentVariable}' is not set.");
            }

            if (m.PollInterval < TimeSpan.FromSeconds(1))
            {
                errors.Add($"{at}:PollInterval must be at least 00:00:01.");
            }

            if (m.TrustedCaFile is not null && !File.Exists(m.TrustedCaFile))
            {
                errors.Add($"{at}:TrustedCaFile '{m.TrustedCaFile}' does not exist.");
            }

            if (m.Folder == m.ProcessedFolder || m.Folder == m.InvalidFolder || (m.OtherMail == OtherMail.Move && m.Folder == m.OtherFolder))
            {
                errors.Add($"{at}: ProcessedFolder, InvalidFolder and OtherFolder must differ from Folder.");
            }
        }

        if (options.Https.Enabled && string.IsNullOrWhiteSpace(options.Https.Url))
        {
            errors.Add("Ingestion:Https:Url must be set when Ingestion:Https:Enabled is true.");
        }

        if (options.Https.CertificateFile is null != options.Https.KeyFile is null)
        {
            errors.Add("Ingestion:Https: set both CertificateFile and KeyFile, or neither.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>The endpoint for reports POSTed to <c>rua=https:</c> URIs (RFC 8460 §5.4). Section <c>Ingestion:Https</c>.</summary>
public sealed class HttpsIngestionOptions
{
    /// <summary>Listen for report uploads.</summary>
    public bool Enabled { get; set; }

    /// <summary>Where to listen, e.g. <c>https://0.0.0.0:8443</c>; HTTP/1.1 and HTTP/2.</summary>
    public string Url { get; set; } = "https://127.0.0.1:8443";

    /// <summary>The path reports are POSTed to.</summary>
    public string Path { get; set; } = "/tlsrpt";

    /// <summary>PEM certificate (chain) for an https URL.</summary>
    public string? CertificateFile { get; set; }

    /// <summary>PEM private key for an https URL.</summary>
    public string? KeyFile { get; set; }
}

/// <summary>The live check of a domain (DNS, policy fetch, MX probes). Section <c>Check</c>.</summary>
public sealed class CheckOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Check";

    /// <summary>Port of the policy host (RFC 8461 §3.3: HTTPS, 443); changed only for tests.</summary>
    public int PolicyPort { get; set; } = 443;

    /// <summary>Port of the MX hosts' SMTP service (25); changed only for tests.</summary>
    public int SmtpPort { get; set; } = 25;

    /// <summary>Time allowed for the policy fetch (RFC 8461 §3.3 suggests about a minute).</summary>
    public TimeSpan PolicyTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Time allowed for each MX probe.</summary>
    public TimeSpan SmtpTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>PEM files of CA certificates trusted besides the system's (a private PKI, tests).</summary>
    public List<string> TrustedCaFiles { get; set; } = [];

    /// <summary>Time allowed for the whole check (DNS, policy, every probe); what is left unchecked then is said.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>Most addresses probed per MX host (senders try them all).</summary>
    public int MaxMxAddresses { get; set; } = 4;
}

/// <summary>Checks <see cref="CheckOptions"/> at start.</summary>
internal sealed class CheckOptionsValidator : IValidateOptions<CheckOptions>
{
    public ValidateOptionsResult Validate(string? name, CheckOptions options)
    {
        var errors = new List<string>();
        if (options.PolicyPort is < 1 or > 65535)
        {
            errors.Add($"Check:PolicyPort must be between 1 and 65535 (got {options.PolicyPort}).");
        }

        if (options.SmtpPort is < 1 or > 65535)
        {
            errors.Add($"Check:SmtpPort must be between 1 and 65535 (got {options.SmtpPort}).");
        }

        if (options.PolicyTimeout <= TimeSpan.Zero || options.SmtpTimeout <= TimeSpan.Zero || options.Timeout <= TimeSpan.Zero)
        {
            errors.Add("Check:PolicyTimeout, Check:SmtpTimeout and Check:Timeout must be positive.");
        }

        if (options.MaxMxAddresses is < 1 or > 64)
        {
            errors.Add($"Check:MaxMxAddresses must be between 1 and 64 (got {options.MaxMxAddresses}).");
        }

        for (var i = 0; i < options.TrustedCaFiles.Count; i++)
        {
            if (!File.Exists(options.TrustedCaFiles[i]))
            {
                errors.Add($"Check:TrustedCaFiles:{i} '{options.TrustedCaFiles[i]}' does not exist.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>Checks the readiness thresholds at start.</summary>
internal sealed class ReadinessRulesValidator : IValidateOptions<MtaStsReporting.Domain.Readiness.ReadinessRules>
{
    public ValidateOptionsResult Validate(string? name, MtaStsReporting.Domain.Readiness.ReadinessRules options)
    {
        var errors = new List<string>();
        SettingChecks.Range(errors, "Readiness:ObservationDays", options.ObservationDays, 1, 365);
        SettingChecks.Range(errors, "Readiness:RecentDays", options.RecentDays, 1, 90);
        SettingChecks.Range(errors, "Readiness:MinReporters", options.MinReporters, 0, 1_000);
        SettingChecks.Range(errors, "Readiness:MinReporterDays", options.MinReporterDays, 1, 365);
        SettingChecks.Range(errors, "Readiness:MaxGapDays", options.MaxGapDays, 0, 365);
        SettingChecks.Range(errors, "Readiness:MinSessions", options.MinSessions, 0, long.MaxValue);
        SettingChecks.Range(errors, "Readiness:MaxEnforceBlockingFailures", options.MaxEnforceBlockingFailures, 0, long.MaxValue);
        SettingChecks.Range(errors, "Readiness:MaxPolicyFetchFailures", options.MaxPolicyFetchFailures, 0, long.MaxValue);
        SettingChecks.Range(errors, "Readiness:MinCertificateDaysLeft", options.MinCertificateDaysLeft, 0, 3650);
        SettingChecks.Fraction(errors, "Readiness:RollBackFailureRate", options.RollBackFailureRate);
        SettingChecks.Fraction(errors, "Readiness:MaxFailureRate", options.MaxFailureRate);
        return SettingChecks.Result(errors);
    }
}

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

/// <summary>The checks every options validator makes, with messages that name the setting.</summary>
internal static class SettingChecks
{
    public static void Range(List<string> errors, string setting, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            errors.Add($"{setting} must be between {min} and {max} (got {value}).");
        }
    }

    public static void Fraction(List<string> errors, string setting, double value)
    {
        if (value is < 0 or > 1 || double.IsNaN(value))
        {
            errors.Add($"{setting} must be between 0 and 1 (got {value}).");
        }
    }

    public static ValidateOptionsResult Result(List<string> errors) =>
        errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
}
