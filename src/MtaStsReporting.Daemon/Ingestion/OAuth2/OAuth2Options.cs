namespace MtaStsReporting.Daemon.Ingestion.OAuth2;

/// <summary>Who issues the access tokens.</summary>
public enum OAuth2Provider
{
    /// <summary>The Microsoft identity platform (Entra ID): an app registration's client credentials (Exchange Online, Microsoft Graph).</summary>
    Microsoft,

    /// <summary>A Google service account with domain-wide delegation, acting as the mailbox's user (Google Workspace).</summary>
    Google,
}

/// <summary>
/// Where a mailbox's OAuth2 access tokens come from: the client credentials grant of the
/// Microsoft identity platform (RFC 6749 §4.4), or a Google service account's signed JWT
/// (RFC 7523). Section <c>Ingestion:Mailboxes:N:OAuth2</c> (and <c>Ingestion:GraphMailboxes:N:OAuth2</c>).
/// </summary>
public sealed class OAuth2Options
{
    /// <summary>The token issuer.</summary>
    public OAuth2Provider Provider { get; set; } = OAuth2Provider.Microsoft;

    /// <summary>Microsoft: the directory (tenant) id or domain.</summary>
    public string? TenantId { get; set; }

    /// <summary>Microsoft: the app registration's application (client) id.</summary>
    public string? ClientId { get; set; }

    /// <summary>Microsoft: a file holding the client secret (first line).</summary>
    public string? ClientSecretFile { get; set; }

    /// <summary>Microsoft: a PEM certificate uploaded to the app registration, instead of a secret.</summary>
    public string? CertificateFile { get; set; }

    /// <summary>Microsoft: the certificate's PEM private key.</summary>
    public string? CertificateKeyFile { get; set; }

    /// <summary>
    /// Microsoft: the identity platform's address; sovereign clouds have their own
    /// (<c>https://login.microsoftonline.us/</c>, <c>https://login.chinacloudapi.cn/</c>).
    /// Tokens are asked of <c>{Authority}{TenantId}/oauth2/v2.0/token</c>.
    /// </summary>
    public string Authority { get; set; } = "https://login.microsoftonline.com/";

    /// <summary>Google: the service account's JSON key file.</summary>
    public string? ServiceAccountKeyFile { get; set; }

    /// <summary>Google: the token endpoint, when not the key file's <c>token_uri</c>.</summary>
    public string? TokenEndpoint { get; set; }

    /// <summary>
    /// The scope asked for; by default <c>https://outlook.office365.com/.default</c> (IMAP at
    /// Exchange Online), <c>https://graph.microsoft.com/.default</c> (Graph) or
    /// <c>https://mail.google.com/</c> (Gmail IMAP).
    /// </summary>
    public string? Scope { get; set; }

    /// <summary>PEM file of CA certificates trusted for the token endpoint besides the system's (a private CA, tests).</summary>
    public string? TrustedCaFile { get; set; }
}
