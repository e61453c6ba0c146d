using MailKit;
using Microsoft.EntityFrameworkCore;
using MimeKit;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Tests.Support;

namespace MtaStsReporting.Daemon.Tests.Outbound;

/// <summary>
/// The whole mail path with real servers on loopback: relay outcomes over gRPC → the report
/// built → submitted to Postfix → delivered over LMTP into Dovecot → read back by the daemon's own
/// mailbox ingestion, with the same counts and a DKIM pass (the key served by dnsmasq).
/// </summary>
public sealed class MailDeliveryTests(OutboundFixture fixture) : IClassFixture<OutboundFixture>, IAsyncLifetime
{
    private DovecotServer _dovecot = null!;
    private PostfixServer _postfix = null!;
    private DnsServer _dns = null!;
    private readonly TempDirectory _tls = new();

    public async Task InitializeAsync()
    {
        _dovecot = await DovecotServer.StartAsync(new DovecotSettings(Lmtp: true));
        // Postfix offers STARTTLS with a certificate for localhost from the test CA.
        using var certificate = fixture.Pki.Issue("localhost");
        var pem = TestPki.WritePem(certificate, _tls.Path, "postfix");
        Command.RunChecked("chmod", "755", _tls.Path);
        _postfix = await PostfixServer.StartAsync("example.org", _dovecot.LmtpPort, pem);
        _dns = await DnsServer.StartAsync(new Dictionary<string, string> { [fixture.DkimRecord.Name] = fixture.DkimRecord.Record });
    }

    public async Task DisposeAsync()
    {
        await _postfix.DisposeAsync();
        await _dovecot.DisposeAsync();
        await _dns.DisposeAsync();
        _tls.Dispose();
    }

    private async Task<MimeMessage> OnlyMessageAsync(string folder)
    {
        using var client = await _dovecot.ConnectAsync();
        var f = await client.GetFolderAsync(folder);
        await f.OpenAsync(FolderAccess.ReadOnly);
        Assert.Equal(1, f.Count);
        var message = await f.GetMessageAsync(0);
        await client.DisconnectAsync(true);
        return message;
    }

    [Fact]
    public async Task A_report_mailed_through_postfix_into_dovecot_reads_back_through_our_own_mailbox_with_the_same_counts_and_a_dkim_pass()
    {
        // Submitted with STARTTLS, the server's certificate checked against the test CA.
        await using var daemon = await InProcessDaemon.StartAsync([.. fixture.DaemonArgs(_postfix.Port, _dns.ServerArg,
            "--Outbound:Mail:Host=localhost", "--Outbound:Mail:Tls=StartTls", $"--Outbound:Mail:TrustedCaFile={fixture.CaFile}"), .. _dovecot.MailboxArgs()]);

        await new RelayOutcomes.RelayOutcomesClient(daemon.Channel).ReportOutcomesAsync(
            OutboundFixture.Yesterday("b1", "example.com", $"v=TLSRPTv1; rua=mailto:{DovecotServer.User}"));

        await DovecotServer.EventuallyAsync(async () =>
        {
            await using var db = daemon.Store.Open();
            return await db.TlsReports.AnyAsync();
        }, "the report back through the mailbox: " + _postfix.Log + string.Join("\n", daemon.Logs.Lines.Where(l => l.Category.Contains("Outbound") || l.Category.Contains("Mailbox"))), seconds: 60);

        var sent = (await new OutboundReports.OutboundReportsClient(daemon.Channel).ListOutboundReportsAsync(new ListOutboundReportsRequest())).Reports.Single();
        var delivery = sent.Deliveries.Single();
        Assert.Equal(("mailto:" + DovecotServer.User, "delivered", 1), (delivery.Destination, delivery.State, delivery.Attempts));
        Assert.StartsWith("250 ", delivery.LastAnswer, StringComparison.Ordinal);
        Assert.Contains("TLS connection established from localhost", _postfix.Log, StringComparison.Ordinal);

        await using (var db = daemon.Store.Open())
        {
            var stored = await db.TlsReports.Include(r => r.Policies).ThenInclude(p => p.FailureDetails).SingleAsync();
            Assert.Equal(("Sender Example Org", sent.ReportId, "imap"), (stored.OrganizationName, stored.ReportId, stored.SourceKind));
            Assert.Equal(("pass", "sender.example"), (stored.DkimResult, stored.DkimDomain));
            Assert.Equal((12L - 2L, 2L), (stored.SuccessCount, stored.FailureCount));
            Assert.Equal("[]", stored.Flags);
            var policy = Assert.Single(stored.Policies);
            Assert.Equal(("example.com", 2L), (policy.PolicyDomain, Assert.Single(policy.FailureDetails).FailedSessionCount));
        }

        // The message as it arrived: RFC 8460 §5.3 headers, media types and file name.
        var message = await OnlyMessageAsync("TLSRPT/Processed");
        Assert.Equal($"Report Domain: example.com Submitter: sender.example Report-ID: <{sent.ReportId}>", message.Subject);
        Assert.Equal(("example.com", "sender.example", "No"), (message.Headers["TLS-Report-Domain"], message.Headers["TLS-Report-Submitter"], message.Headers["TLS-Required"]));
        Assert.Equal("tlsrpt-noreply@sender.example", message.From.Mailboxes.Single().Address);
        Assert.Contains("d=sender.example", message.Headers[HeaderId.DkimSignature], StringComparison.Ordinal);
        Assert.Contains($"s={OutboundFixture.Selector}", message.Headers[HeaderId.DkimSignature], StringComparison.Ordinal);
        var report = Assert.IsType<MultipartReport>(message.Body);
        Assert.Equal("tlsrpt", report.ReportType);
        var attachment = report.OfType<MimePart>().Single(p => p.ContentType.MimeType == "application/tlsrpt+gzip");
        Assert.Equal("sender.example!example.com!1795824000!1795910399.json.gz", attachment.FileName);
        Assert.Equal("text/plain", report.OfType<TextPart>().Single().ContentType.MimeType);
    }

    [Fact]
    public async Task A_server_certificate_the_daemon_does_not_trust_is_a_temporary_failure_that_names_the_reason()
    {
        // No TrustedCaFile: the test CA is unknown to the system.
        await using var daemon = await InProcessDaemon.StartAsync(fixture.DaemonArgs(_postfix.Port, _dns.ServerArg, "--Outbound:Mail:Host=localhost", "--Outbound:Mail:Tls=StartTls"));

        await new RelayOutcomes.RelayOutcomesClient(daemon.Channel).ReportOutcomesAsync(OutboundFixture.Yesterday("b1", "example.com", $"v=TLSRPTv1; rua=mailto:{DovecotServer.User}"));

        Api.V1.OutboundReport? report = null;
        await DovecotServer.EventuallyAsync(async () =>
        {
            report = (await new OutboundReports.OutboundReportsClient(daemon.Channel).ListOutboundReportsAsync(new ListOutboundReportsRequest())).Reports.SingleOrDefault();
            return report?.Deliveries.Single().Attempts == 1 && report.Deliveries.Single().State == "pending";
        }, "the first attempt");
        var answer = report!.Deliveries.Single().LastAnswer;
        Assert.StartsWith($"TLS with the SMTP server localhost:{_postfix.Port} failed: the certificate (CN=localhost) is not trusted", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_recipient_the_mta_refuses_is_failed_after_one_attempt_and_one_it_defers_stays_pending_with_the_answer()
    {
        await using var daemon = await InProcessDaemon.StartAsync(fixture.DaemonArgs(_postfix.Port, _dns.ServerArg));

        await new RelayOutcomes.RelayOutcomesClient(daemon.Channel).ReportOutcomesAsync(OutboundFixture.Yesterday("b1", "example.com",
            $"v=TLSRPTv1; rua=mailto:{PostfixServer.RefusedAddress},mailto:{PostfixServer.DeferredAddress}"));

        Api.V1.OutboundReport? report = null;
        var admin = new OutboundReports.OutboundReportsClient(daemon.Channel);
        await DovecotServer.EventuallyAsync(async () =>
        {
            var list = await admin.ListOutboundReportsAsync(new ListOutboundReportsRequest());
            report = list.Reports.SingleOrDefault();
            return report is not null && report.Deliveries.All(d => d.Attempts == 1 && d.State != "sending");
        }, "both first attempts");

        var byAddress = report!.Deliveries.ToDictionary(d => d.Destination);
        var refused = byAddress["mailto:" + PostfixServer.RefusedAddress];
        var deferred = byAddress["mailto:" + PostfixServer.DeferredAddress];
        Assert.True(refused.State == "failed", refused.State + ": " + refused.LastAnswer);
        Assert.StartsWith("554 ", refused.LastAnswer, StringComparison.Ordinal);
        Assert.Contains("no such mailbox", refused.LastAnswer, StringComparison.Ordinal);
        Assert.Equal("pending", deferred.State);
        Assert.StartsWith("450 ", deferred.LastAnswer, StringComparison.Ordinal);
        Assert.Equal(InProcessDaemon.DefaultNow.AddMinutes(1), deferred.NextAttemptAt.ToDateTimeOffset());
    }
}
