using Microsoft.Extensions.Options;
using MtaStsReporting.Daemon.Hosting;
using MtaStsReporting.Daemon.Ingestion.Imap;
using MtaStsReporting.Daemon.Ingestion.OAuth2;

namespace MtaStsReporting.Daemon.Ingestion;

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

    /// <summary>Exchange Online mailboxes read through Microsoft Graph (<c>Ingestion:GraphMailboxes:N</c>).</summary>
    public List<Graph.GraphMailboxOptions> GraphMailboxes { get; set; } = [];

    /// <summary>The HTTPS upload endpoint.</summary>
    public HttpsIngestionOptions Https { get; set; } = new();
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

            if (m.Auth == MailboxAuth.OAuth2)
            {
                OAuth2OptionsValidator.Validate(m.OAuth2, $"{at}:OAuth2", errors);
            }
            else if (m.PasswordFile is null == m.PasswordEnvironmentVariable is null)
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

            if (m.TrustedCaFile is not null && !File.Exists(m.TrustedCaFile))
            {
                errors.Add($"{at}:TrustedCaFile '{m.TrustedCaFile}' does not exist.");
            }

            m.Validate(at, errors);
        }

        for (var i = 0; i < options.GraphMailboxes.Count; i++)
        {
            var g = options.GraphMailboxes[i];
            var at = $"Ingestion:GraphMailboxes:{i}";
            if (string.IsNullOrWhiteSpace(g.User))
            {
                errors.Add($"{at}:User is required (the mailbox's user principal name or id).");
            }

            if (g.OAuth2.Provider != OAuth2Provider.Microsoft)
            {
                errors.Add($"{at}:OAuth2:Provider must be Microsoft: Graph takes tokens of the Microsoft identity platform.");
            }
            else
            {
                OAuth2OptionsValidator.Validate(g.OAuth2, $"{at}:OAuth2", errors);
            }

            if (!Uri.TryCreate(g.BaseUrl, UriKind.Absolute, out var baseUrl) || baseUrl.Scheme != Uri.UriSchemeHttps)
            {
                errors.Add($"{at}:BaseUrl '{g.BaseUrl}' must be an https:// URL (https://graph.microsoft.com/v1.0).");
            }

            g.Validate(at, errors);
            if (g.TrustedCaFile is not null && !File.Exists(g.TrustedCaFile))
            {
                errors.Add($"{at}:TrustedCaFile '{g.TrustedCaFile}' does not exist.");
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
