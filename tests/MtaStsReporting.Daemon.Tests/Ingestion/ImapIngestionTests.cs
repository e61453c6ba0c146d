using MtaStsReporting.Domain.TlsRpt;
using Grpc.Health.V1;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MtaStsReporting.Daemon.Ingestion;
using MtaStsReporting.Daemon.Tests.Support;
using MtaStsReporting.Persistence.Reports;

namespace MtaStsReporting.Daemon.Tests.Ingestion;

/// <summary>The daemon reading a real Dovecot over IMAP on loopback.</summary>
public sealed class ImapIngestionTests : IAsyncLifetime
{
    private const string Processed = "TLSRPT/Processed";
    private const string Invalid = "TLSRPT/Invalid";
    private DovecotServer _dovecot = null!;

    public async Task InitializeAsync() => _dovecot = await DovecotServer.StartAsync();

    public async Task DisposeAsync() => await _dovecot.DisposeAsync();

    private static byte[] Bounce() => System.Text.Encoding.ASCII.GetBytes(
        "From: MAILER-DAEMON@mx.example.net\r\nTo: reports@example.org\r\nSubject: Undelivered Mail Returned to Sender\r\n" +
        "Message-ID: <bounce-1@mx.example.net>\r\nDate: Sun, 29 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain\r\n\r\nThis is the mail system.\r\n");

    private static byte[] BrokenReport() => System.Text.Encoding.ASCII.GetBytes(
        "From: noreply@reporter.example\r\nTo: reports@example.org\r\nSubject: Report Domain: example.org Submitter: reporter.example Report-ID: <x>\r\n" +
        "Message-ID: <broken-1@reporter.example>\r\nDate: Sun, 29 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n" +
        "Content-Type: application/tlsrpt+json; name=\"r.json\"\r\n\r\n{\"organization-name\": \"Reporter\", \"report-id\": \r\n");

    private static async Task<int> ReportCountAsync(InProcessDaemon daemon)
    {
        await using var db = daemon.Store.Open();
        return await db.TlsReports.CountAsync();
    }

    [Fact]
    public async Task Mail_waiting_at_start_is_ingested_and_sorted_into_folders()
    {
        await _dovecot.AppendAsync(TestReports.ReportMail("imap-a"));
        await _dovecot.AppendAsync(TestReports.ReportMail("imap-b", gzip: false));
        await _dovecot.AppendAsync(TestReports.ReportMail("imap-a", messageId: "again@reporter.example")); // the same report again: a duplicate
        await _dovecot.AppendAsync(Bounce());
        await _dovecot.AppendAsync(BrokenReport());

        // A mailbox of TLS reports only: other mail is moved out of the way too.
        await using var daemon = await InProcessDaemon.StartAsync([.. _dovecot.MailboxArgs(), "--Ingestion:Mailboxes:0:OtherMail=Move"]);

        await DovecotServer.EventuallyAsync(async () => (await _dovecot.MessageIdsAsync("INBOX")).Count == 0, "INBOX emptied");
        Assert.Equal(3, (await _dovecot.MessageIdsAsync(Processed)).Count);
        Assert.Equal(["broken-1@reporter.example"], await _dovecot.MessageIdsAsync(Invalid));
        Assert.Equal(["bounce-1@mx.example.net"], await _dovecot.MessageIdsAsync("TLSRPT/Other"));

        await using var db = daemon.Store.Open();
        var reports = await db.TlsReports.OrderBy(r => r.ReportId).ToListAsync();
        Assert.Equal(["imap-a", "imap-b"], reports.Select(r => r.ReportId));
        Assert.All(reports, r => Assert.Equal(("imap", "test/INBOX"), (r.SourceKind, r.SourceName)));
        Assert.All(reports, r => Assert.NotNull(r.MessageId));
        var rejections = await db.ReportRejections.OrderBy(r => r.MessageId).ToListAsync();
        Assert.Equal(("not-a-report", "invalid"), (rejections[0].Status, rejections[1].Status));
        Assert.Contains("not valid JSON", rejections[1].Reason);
    }

    [Theory]
    [InlineData("Leave", false)]
    [InlineData("MarkSeen", true)]
    public async Task Dmarc_reports_in_a_shared_mailbox_are_left_for_the_dmarc_tool(string otherMail, bool seen)
    {
        await _dovecot.AppendAsync(TestReports.DmarcMail("dmarc-1@google.com"));
        await _dovecot.AppendAsync(TestReports.ReportMail("shared-1"));
        await _dovecot.AppendAsync(Bounce());

        await using var daemon = await InProcessDaemon.StartAsync([.. _dovecot.MailboxArgs(), $"--Ingestion:Mailboxes:0:OtherMail={otherMail}"]);

        await DovecotServer.EventuallyAsync(async () => (await _dovecot.MessageIdsAsync(Processed)).Count == 1, "the TLS report processed");
        await DovecotServer.EventuallyAsync(async () => (await _dovecot.MessagesAsync("INBOX")).All(m => m.Seen == seen), "other mail flagged as asked");
        Assert.Equal([("bounce-1@mx.example.net", seen), ("dmarc-1@google.com", seen)], (await _dovecot.MessagesAsync("INBOX")).Order());
        Assert.Empty(await _dovecot.MessageIdsAsync(Invalid));
        await using var db = daemon.Store.Open();
        Assert.Equal("shared-1", (await db.TlsReports.SingleAsync()).ReportId);
        Assert.Empty(await db.ReportRejections.ToListAsync()); // left mail is not recorded at every start

        // New mail still comes in; what was left is not read again.
        await _dovecot.AppendAsync(TestReports.ReportMail("shared-2"));
        await DovecotServer.EventuallyAsync(async () => (await _dovecot.MessageIdsAsync(Processed)).Count == 2, "the next TLS report processed");
        Assert.Equal(2, (await _dovecot.MessageIdsAsync("INBOX")).Count);
    }

    [Fact]
    public async Task Idle_brings_a_new_message_in_without_waiting_for_a_poll()
    {
        // Polling is set to an hour: only IDLE can bring the message in within seconds.
        await using var daemon = await InProcessDaemon.StartAsync(_dovecot.MailboxArgs(TimeSpan.FromHours(1)));
        await DovecotServer.EventuallyAsync(() => Task.FromResult(HealthOf(daemon, "mailbox") == HealthCheckResponse.Types.ServingStatus.Serving), "mailbox connected");
        await Task.Delay(500); // let the worker enter IDLE

        await _dovecot.AppendAsync(TestReports.ReportMail("idle-1"));

        await DovecotServer.EventuallyAsync(async () => await ReportCountAsync(daemon) == 1, "report ingested through IDLE", seconds: 10);
        await DovecotServer.EventuallyAsync(async () => (await _dovecot.MessageIdsAsync(Processed)).Count == 1, "message moved");
    }

    [Fact]
    public async Task The_daemon_reconnects_when_dovecot_restarts()
    {
        await using var daemon = await InProcessDaemon.StartAsync(_dovecot.MailboxArgs());
        await DovecotServer.EventuallyAsync(() => Task.FromResult(HealthOf(daemon, "mailbox") == HealthCheckResponse.Types.ServingStatus.Serving), "mailbox connected");

        await _dovecot.StopAsync();
        await DovecotServer.EventuallyAsync(() => Task.FromResult(HealthOf(daemon, "mailbox") == HealthCheckResponse.Types.ServingStatus.NotServing), "mailbox reported down");
        // The relay API is unaffected by a mailbox that is down.
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, HealthOf(daemon, string.Empty));

        await _dovecot.RestartAsync();
        await _dovecot.AppendAsync(TestReports.ReportMail("after-restart-1"));

        await DovecotServer.EventuallyAsync(async () => await ReportCountAsync(daemon) == 1, "report ingested after the restart");
        await DovecotServer.EventuallyAsync(async () => (await _dovecot.MessageIdsAsync(Processed)).Count == 1, "message moved");
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, HealthOf(daemon, "mailbox"));
    }

    [Fact]
    public async Task A_report_committed_before_a_crash_is_moved_but_not_counted_again()
    {
        // The state a crash between commit and move leaves: the report is stored, the mail is
        // still in INBOX.
        var mail = TestReports.ReportMail("crash-1");
        await using var daemon = await InProcessDaemon.StartAsync();
        var ingestor = daemon.Services.GetRequiredService<ReportIngestor>();
        var first = await ingestor.IngestAsync([new InboundItem(new ReportSource("imap", "test/INBOX", null), mail, InboundKind.Mail)], CancellationToken.None);
        Assert.Equal(IngestStatus.Imported, first[0].Status);
        await _dovecot.AppendAsync(mail);

        // The daemon comes back, now reading the mailbox.
        await daemon.RestartAsync(_dovecot.MailboxArgs());
        await DovecotServer.EventuallyAsync(async () => (await _dovecot.MessageIdsAsync(Processed)).Count == 1, "message moved");

        Assert.Equal(1, await ReportCountAsync(daemon));
        Assert.Empty(await _dovecot.MessageIdsAsync(Invalid));
    }

    private static HealthCheckResponse.Types.ServingStatus HealthOf(InProcessDaemon daemon, string service) =>
        new Health.HealthClient(daemon.Channel).Check(new HealthCheckRequest { Service = service }).Status;
}
