using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace MtaStsReporting.Daemon.Readiness;

/// <summary>What a TLS peer's certificate looked like, judged against the name asked for.</summary>
public sealed record CertificateVerdict(bool Trusted, bool NameMatches, DateTimeOffset NotAfter, string Subject, string? Problem);

/// <summary>
/// Validates certificates against the system's roots and the configured extra CAs (a private
/// PKI, or a test CA). Used for the policy host (RFC 8461 §3.3: WebPKI) and the MX hosts.
/// </summary>
/// <remarks>
/// The chain is always built again at the time of <paramref name="time"/>, not taken from the
/// TLS stack (which validates at the machine's clock): expiry, the days left and trust are then
/// judged at one and the same instant, the one the check reports.
/// </remarks>
public sealed class CertificateChecker(IReadOnlyList<X509Certificate2> extraRoots, TimeProvider time)
{
    /// <summary>Loads the extra CA certificates from PEM files.</summary>
    public static CertificateChecker FromFiles(IEnumerable<string> pemFiles, TimeProvider time)
    {
        var roots = new List<X509Certificate2>();
        foreach (var file in pemFiles)
        {
            var collection = new X509Certificate2Collection();
            collection.ImportFromPemFile(file);
            roots.AddRange(collection);
        }

        return new CertificateChecker(roots, time);
    }

    /// <summary>
    /// Judges a certificate the TLS stack presented. The name check is the stack's
    /// (<paramref name="errors"/>); the chain is built again at the checker's time against the
    /// system's roots, then against the extra CAs, with the intermediates the peer sent.
    /// </summary>
    public CertificateVerdict Judge(X509Certificate? presented, X509Chain? chain, SslPolicyErrors errors)
    {
        if (presented is null)
        {
            return new CertificateVerdict(false, false, DateTimeOffset.MinValue, string.Empty, "no certificate");
        }

        var certificate = presented as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        var at = time.GetUtcNow();
        var nameMatches = !errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch);
        var trusted = Security.PrivateTrust.ChainsTo(certificate, roots: null, chain, usage: null, out var problem, at);
        if (!trusted && extraRoots.Count > 0)
        {
            trusted = Security.PrivateTrust.ChainsTo(certificate, extraRoots, chain, usage: null, out var privateProblem, at);
            problem = privateProblem;
        }

        if (!nameMatches)
        {
            problem = (problem is null ? string.Empty : problem + "; ") + "the certificate does not name the host";
        }

        return new CertificateVerdict(trusted, nameMatches, new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero), certificate.Subject, problem);
    }
}
