using MtaStsReporting.Daemon.Ingestion.OAuth2;

namespace MtaStsReporting.Daemon.Ingestion.Graph;

/// <summary>
/// An Exchange Online mailbox read through Microsoft Graph with application permissions
/// (Mail.ReadWrite), for tenants where IMAP is off. Section <c>Ingestion:GraphMailboxes:N</c>.
/// The folders and timing are those of any report mailbox (<see cref="ReportFolderOptions"/>);
/// <c>Folder</c> <c>INBOX</c> (any case) is Graph's well-known Inbox, whatever its display language.
/// </summary>
public sealed class GraphMailboxOptions : ReportFolderOptions
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

    /// <summary>The name used in logs and health checks.</summary>
    public string DisplayName => Name ?? $"graph:{User}";
}
