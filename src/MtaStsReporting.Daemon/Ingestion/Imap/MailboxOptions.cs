namespace MtaStsReporting.Daemon.Ingestion.Imap;

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

/// <summary>How the daemon logs in to a mailbox.</summary>
public enum MailboxAuth
{
    /// <summary>User and password (SASL PLAIN, else the IMAP LOGIN command).</summary>
    Password,

    /// <summary>An OAuth2 access token (SASL XOAUTH2, else OAUTHBEARER): Exchange Online, Gmail.</summary>
    OAuth2,
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
public sealed class MailboxOptions : ReportFolderOptions
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

    /// <summary>How to log in: a password, or an OAuth2 token (then <see cref="OAuth2"/> says where tokens come from).</summary>
    public MailboxAuth Auth { get; set; } = MailboxAuth.Password;

    /// <summary>The token source, with <see cref="Auth"/> OAuth2.</summary>
    public OAuth2.OAuth2Options OAuth2 { get; set; } = new();

    /// <summary>File holding the password (first line).</summary>
    public string? PasswordFile { get; set; }

    /// <summary>Environment variable holding the password.</summary>
    public string? PasswordEnvironmentVariable { get; set; }

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
