using MtaStsReporting.Domain.TlsRpt;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using MimeKit.Cryptography;
using MtaStsReporting.Daemon.Ingestion;
using MtaStsReporting.Daemon.Tests.Support;
using MtaStsReporting.Persistence.Reports;

namespace MtaStsReporting.Daemon.Tests.Ingestion;

/// <summary>DKIM verdicts with keys served by a real DNS server (dnsmasq) on loopback.</summary>
public sealed class DkimTests : IAsyncLifetime
{
    private const string Selector = "tlsrpt2026";
    private const string SigningDomain = "reporter.example";
    private readonly TempDirectory _keys = new();
    private readonly RcodeUpstream _servfail = new(2);
    private DnsServer _dns = null!;
    private string _keyFile = null!;

    public async Task InitializeAsync()
    {
        using var rsa = RSA.Create(2048);
        _keyFile = Path.Combine(_keys.Path, "dkim.pem");
        await File.WriteAllTextAsync(_keyFile, rsa.ExportRSAPrivateKeyPem());
        var publicKey = Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo());
        _dns = await DnsServer.StartAsync(
            new Dictionary<string, string>
            {
                [$"{Selector}._domainkey.{SigningDomain}"] = $"v=DKIM1; k=rsa; s=tlsrpt; p={publicKey}",
            },
            // Keys of broken-dns.example come from a name server that answers SERVFAIL.
            [$"server=/broken-dns.example/127.0.0.1#{_servfail.Port}"]);
    }

    public async Task DisposeAsync()
    {
        await _dns.DisposeAsync();
        _servfail.Dispose();
        _keys.Dispose();
    }

    /// <summary>An RFC 8460 §5.3 report mail from reporter.example.</summary>
    private static MimeMessage ReportMail(string reportId)
    {
        var json = System.Text.Encoding.UTF8.GetString(TestReports.Report(reportId, "example.com", "Reporter Example", contact: "smtp-tls-reporting@unrelated.example"));
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("TLS reports", "noreply@" + SigningDomain));
        message.To.Add(new MailboxAddress(null, "tlsrpt@example.com"));
        message.Subject = $"Report Domain: example.com Submitter: {SigningDomain} Report-ID: <{reportId}>";
        message.MessageId = reportId + "@" + SigningDomain;
        message.Headers.Add("TLS-Report-Domain", "example.com");
        message.Headers.Add("TLS-Report-Submitter", SigningDomain);
        var report = new MimePart("application", "tlsrpt+json")
        {
            Content = new MimeContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))),
            ContentTransferEncoding = ContentEncoding.Base64,
            FileName = $"{SigningDomain}!example.com!1708128000!1708214399.json",
        };
        var body = new Multipart("report") { new TextPart("plain") { Text = "This is an aggregate TLS report." }, report };
        body.ContentType.Parameters.Add("report-type", "tlsrpt");
        message.Body = body;
        return message;
    }

    private MimeMessage Signed(MimeMessage message, string domain = SigningDomain)
    {
        var signer = new DkimSigner(_keyFile, domain, Selector, DkimSignatureAlgorithm.RsaSha256)
        {
            HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
        };
        message.Prepare(EncodingConstraint.SevenBit);
        signer.Sign(message, [HeaderId.From, HeaderId.Subject, HeaderId.MessageId, HeaderId.To]);
        return message;
    }

    private static byte[] Bytes(MimeMessage message)
    {
        using var stream = new MemoryStream();
        message.WriteTo(stream);
        return stream.ToArray();
    }

    private static async Task<IngestResult> IngestAsync(InProcessDaemon daemon, byte[] mail) =>
        (await daemon.Services.GetRequiredService<ReportIngestor>().IngestAsync(
            [new InboundItem(new ReportSource("imap", "test/INBOX", null), mail, InboundKind.Mail)], CancellationToken.None))[0];

    [Fact]
    public async Task Verdicts_are_stored_with_the_signing_domain()
    {
        await using var daemon = await InProcessDaemon.StartAsync(_dns.ServerArg);
        var tampered = Bytes(Signed(ReportMail("tampered")));
        var text = System.Text.Encoding.ASCII.GetString(tampered).Replace("Submitter: reporter.example", "Submitter: reporter.examp1e", StringComparison.Ordinal);

        Assert.Equal(IngestStatus.Imported, (await IngestAsync(daemon, Bytes(Signed(ReportMail("signed"))))).Status);
        Assert.Equal(IngestStatus.Imported, (await IngestAsync(daemon, System.Text.Encoding.ASCII.GetBytes(text))).Status);
        Assert.Equal(IngestStatus.Imported, (await IngestAsync(daemon, Bytes(ReportMail("unsigned")))).Status);
        Assert.Equal(IngestStatus.Imported, (await IngestAsync(daemon, Bytes(Signed(ReportMail("dns-down"), "broken-dns.example")))).Status);

        await using var db = daemon.Store.Open();
        var verdicts = await db.TlsReports.ToDictionaryAsync(r => r.ReportId, r => (r.DkimResult, r.DkimDomain));
        Assert.Equal(("pass", SigningDomain), verdicts["signed"]);
        Assert.Equal(("fail", SigningDomain), verdicts["tampered"]);
        Assert.Equal(("none", (string?)null), verdicts["unsigned"]);
        // The key server failing is a temporary error (RFC 6376 §6.1.2), not a forged signature.
        Assert.Equal(("temperror", "broken-dns.example"), verdicts["dns-down"]);
    }

    [Fact]
    public async Task Required_alignment_refuses_unsigned_and_unaligned_reports()
    {
        await using var daemon = await InProcessDaemon.StartAsync(_dns.ServerArg, "--Ingestion:RequireAlignedDkim=true");

        var unsigned = await IngestAsync(daemon, Bytes(ReportMail("unsigned")));
        var signed = await IngestAsync(daemon, Bytes(Signed(ReportMail("signed"))));
        var other = ReportMail("other-sender");
        other.From.Clear();
        other.From.Add(new MailboxAddress(null, "reports@elsewhere.example"));
        other.Headers.Remove("TLS-Report-Submitter");
        var unaligned = await IngestAsync(daemon, Bytes(Signed(other)));

        Assert.Equal(IngestStatus.Invalid, unsigned.Status);
        Assert.Contains("RequireAlignedDkim", unsigned.Error);
        Assert.Equal(IngestStatus.Imported, signed.Status);
        // The report says contact-info smtp-tls-reporting@unrelated.example: no alignment with reporter.example either.
        Assert.Equal(IngestStatus.Invalid, unaligned.Status);
        await using var db = daemon.Store.Open();
        Assert.Equal(["signed"], await db.TlsReports.Select(r => r.ReportId).ToListAsync());
    }
}
