using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MtaStsReporting.Daemon.Tests.Support;

/// <summary>
/// A certificate authority of the test's own, and certificates it issues. Validity is counted
/// from <c>now</c>: the wall clock for peers that judge by it (Kestrel, the TLS stack), the
/// daemon's fixed clock for code that judges by the daemon's <see cref="TimeProvider"/> (the
/// live check), so that a test gives the same answer on any day it runs.
/// </summary>
public sealed class TestPki : IDisposable
{
    private readonly RSA _caKey = RSA.Create(2048);
    private readonly DateTimeOffset? _now;

    public TestPki(DateTimeOffset? now = null)
    {
        _now = now;
        var request = new CertificateRequest("CN=MtaStsReporting Test CA", _caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        Authority = request.CreateSelfSigned(Now.AddYears(-1), Now.AddYears(5));
    }

    public X509Certificate2 Authority { get; }

    /// <summary>The instant validity is counted from.</summary>
    public DateTimeOffset Now => _now ?? DateTimeOffset.UtcNow;

    /// <summary>Writes the CA certificate as PEM, for <c>Check:TrustedCaFiles</c>.</summary>
    public string WriteAuthorityPem(string directory)
    {
        var path = Path.Combine(directory, "test-ca.pem");
        File.WriteAllText(path, Authority.ExportCertificatePem());
        return path;
    }

    /// <summary>A server certificate for the names, valid between the given times, with its private key.</summary>
    public X509Certificate2 Issue(IEnumerable<string> names, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = RSA.Create(2048);
        var list = names.ToList();
        var request = new CertificateRequest($"CN={list[0]}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        list.ForEach(san.AddDnsName);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Authority, true, false));
        var serial = RandomNumberGenerator.GetBytes(12);
        using var issued = request.Create(Authority, notBefore, notAfter, serial);
        using var withKey = issued.CopyWithPrivateKey(key);
        // Through PKCS#12 so that the TLS stack on Linux can use the key.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    public X509Certificate2 Issue(params string[] names) => Issue(names, Now.AddDays(-1), Now.AddDays(90));

    /// <summary>A client certificate (TLS client authentication) for the common name.</summary>
    public X509Certificate2 IssueClient(string commonName)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Authority, true, false));
        using var issued = request.Create(Authority, Now.AddDays(-1), Now.AddDays(30), RandomNumberGenerator.GetBytes(12));
        using var withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Writes a certificate and its key as PEM files (the daemon's certificate settings).</summary>
    public static (string Certificate, string Key) WritePem(X509Certificate2 certificate, string directory, string name)
    {
        var certificateFile = Path.Combine(directory, name + ".crt");
        var keyFile = Path.Combine(directory, name + ".key");
        File.WriteAllText(certificateFile, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, certificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return (certificateFile, keyFile);
    }

    public void Dispose()
    {
        Authority.Dispose();
        _caKey.Dispose();
    }
}
