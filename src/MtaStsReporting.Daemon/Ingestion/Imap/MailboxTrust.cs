using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MtaStsReporting.Daemon.Hosting;

namespace MtaStsReporting.Daemon.Ingestion.Imap;

/// <summary>
/// Judges an IMAP server's certificate: the system's roots plus the mailbox's own CA file (many
/// organisations run their mail on an internal CA), the name, and revocation as the mailbox's
/// <see cref="RevocationCheck"/> says. The last refusal's reason is kept, so that the log line
/// says why the handshake failed instead of "the remote certificate is invalid".
/// </summary>
public sealed class MailboxTrust
{
    private readonly X509Certificate2Collection _roots = [];
    private readonly RevocationCheck _revocation;

    public MailboxTrust(MailboxOptions mailbox)
        : this(mailbox.TrustedCaFile, mailbox.RevocationCheck)
    {
    }

    /// <summary>The same judgement for any mail or HTTPS server (the outbound reports' SMTP server and https: destinations).</summary>
    public MailboxTrust(string? trustedCaFile, RevocationCheck revocation)
    {
        _revocation = revocation;
        if (trustedCaFile is not null)
        {
            _roots.ImportFromPemFile(trustedCaFile);
        }
    }

    /// <summary>Why the last certificate was refused; null when it was accepted.</summary>
    public string? LastProblem { get; private set; }

    /// <summary>The TLS stack's callback.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        LastProblem = Judge(certificate, chain, errors);
        return LastProblem is null;
    }

    private string? Judge(X509Certificate? presented, X509Chain? presentedChain, SslPolicyErrors errors)
    {
        if (presented is null)
        {
            return "the server sent no certificate";
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            return $"the certificate ({presented.Subject}) does not name the server";
        }

        var certificate = presented as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        var (trusted, chainStatus) = Security.PrivateTrust.Build(certificate, _roots.Count > 0 ? _roots : null, presentedChain, usage: null, at: null,
            _revocation == RevocationCheck.Off ? X509RevocationMode.NoCheck : X509RevocationMode.Online);
        if (trusted)
        {
            return null;
        }

        var status = chainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
        const X509ChainStatusFlags unknown = X509ChainStatusFlags.RevocationStatusUnknown | X509ChainStatusFlags.OfflineRevocation;
        if (status.HasFlag(X509ChainStatusFlags.Revoked))
        {
            return "the certificate is revoked";
        }

        if ((status & ~unknown) == X509ChainStatusFlags.NoError)
        {
            // Only revocation could not be learned: no CRL or OCSP address, or none reachable.
            return _revocation == RevocationCheck.BestEffort
                ? null
                : "revocation: the certificate's revocation status could not be checked (no CRL or OCSP address, or the CA's server is unreachable); " +
                  "set RevocationCheck=BestEffort to accept an unknown status, or Off for a CA without CRLs";
        }

        var words = string.Join("; ", chainStatus.Where(s => (s.Status & ~unknown) != 0).Select(s => s.StatusInformation.Trim()).Distinct());
        return $"the certificate ({certificate.Subject}) is not trusted: {words}" + (_roots.Count == 0 ? " (an internal CA is trusted with TrustedCaFile)" : string.Empty);
    }
}
