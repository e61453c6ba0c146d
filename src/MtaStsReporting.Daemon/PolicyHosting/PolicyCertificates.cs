using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using MtaStsReporting.Daemon.Security;

namespace MtaStsReporting.Daemon.PolicyHosting;

/// <summary>
/// The policy listener's certificates, chosen at each handshake by the name the client asked
/// for (SNI): a certificate naming that host exactly, else one whose wildcard covers it
/// (<c>*.example.com</c> covers <c>mta-sts.example.com</c>, one label only). Each pair is read
/// again when its files change (<see cref="ReloadingCertificate"/>), so that certbot or acme.sh
/// renewing them needs no restart; the names are read from the certificate being served.
/// </summary>
public sealed class PolicyCertificates
{
    private static readonly ConditionalWeakTable<SslStreamCertificateContext, string[]> Names = [];

    private readonly IReadOnlyList<ReloadingCertificate> _certificates;

    /// <summary>Wraps pairs already loaded.</summary>
    public PolicyCertificates(IReadOnlyList<ReloadingCertificate> certificates) => _certificates = certificates;

    /// <summary>Loads the pairs of <c>PolicyHosting:Certificates</c> (none when hosting is off).</summary>
    public static PolicyCertificates Load(PolicyHostingOptions options, ILogger logger) => new(options.Enabled
        ? [.. options.Certificates.Select((c, i) => ReloadingCertificate.Load(c.CertificateFile, c.KeyFile, $"PolicyHosting:Certificates:{i}:CertificateFile", logger))]
        : []);

    /// <summary>The certificate for a host name; the first one when the client sent no name or none matches (the handshake then fails its check, as it should).</summary>
    public SslStreamCertificateContext Select(string? host)
    {
        var contexts = _certificates.Select(c => c.Current).ToList();
        if (!string.IsNullOrEmpty(host))
        {
            var name = host.TrimEnd('.').ToLowerInvariant();
            var exact = contexts.FirstOrDefault(c => NamesOf(c).Contains(name, StringComparer.Ordinal));
            if (exact is not null)
            {
                return exact;
            }

            var wildcard = contexts.FirstOrDefault(c => NamesOf(c).Any(n => Covers(n, name)));
            if (wildcard is not null)
            {
                return wildcard;
            }
        }

        return contexts[0];
    }

    /// <summary>Whether a certificate name (exact, or <c>*.</c> and a domain) covers a host name, as TLS clients match them (RFC 6125 §6.4.3: the wildcard stands for one whole label).</summary>
    public static bool Covers(string certificateName, string host)
    {
        var pattern = certificateName.ToLowerInvariant();
        if (!pattern.StartsWith("*.", StringComparison.Ordinal))
        {
            return pattern == host;
        }

        var dot = host.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && host[(dot + 1)..] == pattern[2..];
    }

    /// <summary>The first host name in <paramref name="hosts"/> that no certificate covers, or null.</summary>
    public string? Uncovered(IEnumerable<string> hosts) =>
        hosts.FirstOrDefault(h => !_certificates.Any(c => NamesOf(c.Current).Any(n => Covers(n, h))));

    private static string[] NamesOf(SslStreamCertificateContext context) => Names.GetValue(context, static c =>
    {
        var certificate = c.TargetCertificate;
        var san = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        var names = san?.EnumerateDnsNames().ToList() ?? [];
        if (names.Count == 0 && certificate.GetNameInfo(X509NameType.DnsName, forIssuer: false) is { Length: > 0 } commonName)
        {
            names.Add(commonName);
        }

        return [.. names.Select(n => n.ToLowerInvariant())];
    });
}
