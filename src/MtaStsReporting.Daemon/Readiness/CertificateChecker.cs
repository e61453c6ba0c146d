using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace MtaStsReporting.Daemon.Readiness;

/// <summary>What a TLS peer's certificate looked like, judged against the name asked for.</summary>
public sealed record CertificateVerdict(bool Trusted, bool NameMatches, DateTimeOffset NotAfter, string Subject, string? Problem);

/// <summary>
/// Validates certificates against the system's roots and the configured extra CAs (a private
/// PKI, or a test CA). Used for the policy host (RFC 8461 §3.3: WebPKI) and the MX hosts.
/// </summary>
public sealed class CertificateChecker(IReadOnlyList<X509Certificate2> extraRoots)
{
    /// <summary>Loads the extra CA certificates from PEM files.</summary>
    public static CertificateChecker FromFiles(IEnumerable<string> pemFiles)
    {
        var roots = new List<X509Certificate2>();
        foreach (var file in pemFiles)
        {
            var collection = new X509Certificate2Collection();
            collection.ImportFromPemFile(file);
            roots.AddRange(collection);
        }

        return new CertificateChecker(roots);
    }

    /// <summary>
    /// Judges a certificate the TLS stack presented. <paramref name="errors"/> is what the stack
    /// found with the system roots; a chain that fails only for its root is tried again against
    /// the extra CAs.
    /// </summary>
    public CertificateVerdict Judge(X509Certificate? presented, X509Chain? chain, SslPolicyErrors errors)
    {
        if (presented is null)
        {
            return new CertificateVerdict(false, false, DateTimeOffset.MinValue, string.Empty, "no certificate");
        }

        var certificate = presented as X509Certificate2 ?? new X509Certificate2(presented);
        var nameMatches = !errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch);
        var trusted = !errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors);
        string? problem = null;
        if (!trusted && extraRoots.Count > 0)
        {
            trusted = Security.PrivateTrust.ChainsTo(certificate, extraRoots, chain, usage: null, out problem);
        }
        else if (!trusted && chain is not null)
        {
            problem = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Distinct());
        }

        if (!nameMatches)
        {
            problem = (problem is null ? string.Empty : problem + "; ") + "the certificate does not name the host";
        }

        return new CertificateVerdict(trusted, nameMatches, new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero), certificate.Subject, problem);
    }
}
