using System.Security.Cryptography;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Tests.Support;

namespace MtaStsReporting.Daemon.Tests.Outbound;

/// <summary>
/// What the outbound tests share: a CA whose certificate for <c>localhost</c> the report
/// endpoints present, a DKIM key, and the daemon settings that turn sending on with them.
/// </summary>
public sealed class OutboundFixture : IDisposable
{
    public const string Submitter = "sender.example";
    public const string Selector = "tlsrpt2026";

    private readonly TempDirectory _files = new();

    public OutboundFixture()
    {
        Pki = new TestPki();
        CaFile = Pki.WriteAuthorityPem(_files.Path);
        using var rsa = RSA.Create(2048);
        DkimKeyFile = Path.Combine(_files.Path, "dkim.pem");
        File.WriteAllText(DkimKeyFile, rsa.ExportRSAPrivateKeyPem());
        DkimPublicKey = Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo());
    }

    public TestPki Pki { get; }

    public string CaFile { get; }

    public string DkimKeyFile { get; }

    /// <summary>The DKIM key record's p= value.</summary>
    public string DkimPublicKey { get; }

    /// <summary>The DNS name and TXT record of the DKIM key.</summary>
    public (string Name, string Record) DkimRecord => ($"{Selector}._domainkey.{Submitter}", $"v=DKIM1; k=rsa; s=tlsrpt; p={DkimPublicKey}");

    /// <summary>Sending on, spread window off, retries a minute apart (the tests move the clock), the given SMTP port.</summary>
    public string[] DaemonArgs(int smtpPort = 1, params string[] more) =>
    [
        "--Outbound:Enabled=true",
        "--Outbound:OrganizationName=Sender Example Org",
        "--Outbound:ContactInfo=mailto:postmaster@sender.example",
        $"--Outbound:SubmitterDomain={Submitter}",
        "--Outbound:SpreadWindow=0s",
        "--Outbound:FirstRetry=1m",
        "--Outbound:MaxRetry=1m",
        "--Outbound:PollInterval=200ms",
        $"--Outbound:HttpsTrustedCaFile={CaFile}",
        "--Outbound:Mail:Host=127.0.0.1",
        $"--Outbound:Mail:Port={smtpPort}",
        "--Outbound:Mail:Tls=None",
        $"--Outbound:Mail:DkimKeyFile={DkimKeyFile}",
        $"--Outbound:Mail:DkimSelector={Selector}",
        .. more,
    ];

    /// <summary>A relay batch of yesterday's sessions to a domain (10 successes, 2 certificate-expired), with the TLSRPT record the relay saw.</summary>
    public static OutcomeBatch Yesterday(string id, string domain, string? record)
    {
        var at = InProcessDaemon.DefaultNow.AddDays(-1);
        var success = Outcomes.Success(domain, at, 10);
        var failure = Outcomes.Failure(domain, at.AddHours(1), ResultType.CertificateExpired, 2);
        if (record is not null)
        {
            success.TlsrptRecord = record;
            failure.TlsrptRecord = record;
        }

        return Outcomes.Batch(id, success, failure);
    }

    public void Dispose()
    {
        Pki.Dispose();
        _files.Dispose();
    }
}
