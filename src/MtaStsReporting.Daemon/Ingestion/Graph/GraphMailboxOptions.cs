using MtaStsReporting.Daemon.Ingestion.Imap;
using MtaStsReporting.Daemon.Ingestion.OAuth2;

namespace MtaStsReporting.Daemon.Ingestion.Graph;

/// <summary>
/// An Exchange Online mailbox read through Microsoft Graph with application permissions
/// (Mail.ReadWrite), for tenants where IMAP is off. Section <c>Ingestion:GraphMailboxes:N</c>.
/// </summary>
public sealed class GraphMailboxOptions
{
    /// <summary>A name for logs and health checks; defaults to graph:user.</summary>
    public string? Name { get; set; }

    /// <summary>The mailbox: its user principal name or object id (<c>tlsrpt@example.com</c>).</summary>
    public string User { get; set; } = string.Empty;

    /// <summary>The app registration and its credentials (Provider Microsoft; scope <c>https://graph.microsoft.com/.default</c> by default).</summary>
    public OAuth2Options OAuth2 { get; set; } = new();

    /// <summary>Graph's address with its version; national clouds have their own (<c>https://graph.microsoft.us/v1.0</c>).</summary>
    public string BaseUrl { get; set; } = "https://graph.microsoft.com/v1.0";

    /// <summary>PEM file of CA certificates trusted for <see cref="BaseUrl"/> besides the system's (a private CA, tests).</summary>
    public string? TrustedCaFile { get; set; }

    /// <summary>Folder the reports arrive in: <c>Inbox</c> (whatever its display language), or a path from the top (<c>Reports/TLS</c>).</summary>
    public string Folder { get; set; } = "Inbox";

    /// <summary>Folder a message moves to once its report is committed (created if missing).</summary>
    public string ProcessedFolder { get; set; } = "TLSRPT/Processed";

    /// <summary>Folder for TLS reports that cannot be read (created if missing).</summary>
    public string InvalidFolder { get; set; } = "TLSRPT/Invalid";

    /// <summary>What to do with mail that is not a TLS report.</summary>
    public OtherMail OtherMail { get; set; } = OtherMail.Leave;

    /// <summary>Where <see cref="OtherMail.Move"/> puts it (created if missing).</summary>
    public string OtherFolder { get; set; } = "TLSRPT/Other";

    /// <summary>How often to ask for new mail (a delta query: only what changed since the last one).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Longest wait between attempts after a failure (backoff doubles from one second).</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The name used in logs and health checks.</summary>
    public string DisplayName => Name ?? $"graph:{User}";
}
