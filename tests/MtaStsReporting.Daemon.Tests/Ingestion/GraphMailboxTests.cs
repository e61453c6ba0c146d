using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MtaStsReporting.Daemon.Ingestion.Imap;
using MtaStsReporting.Daemon.Tests.Support;

namespace MtaStsReporting.Daemon.Tests.Ingestion;

/// <summary>
/// A mailbox read through Microsoft Graph, end to end against the test's own Graph endpoints
/// (<see cref="GraphServer"/>) with real MIME bodies of generated reports, and a token from the
/// test's own identity platform through MSAL: delta queries (two pages, then only what is new),
/// <c>$value</c>, folders found or created, moves after the commit, throttling (429 with
/// Retry-After) within and past the Graph client's own retries, a message that vanishes between
/// listing and reading, and a mailbox Graph does not know.
/// </summary>
public sealed class GraphMailboxTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly TestPki _pki = new();
    private System.Security.Cryptography.X509Certificates.X509Certificate2 _certificate = null!;
    private OAuth2Issuer _issuer = null!;
    private GraphServer _graph = null!;
    private string _caFile = null!;

    public async Task InitializeAsync()
    {
        _caFile = _pki.WriteAuthorityPem(_dir.Path);
        _certificate = _pki.Issue("localhost");
        _issuer = await OAuth2Issuer.StartAsync(_certificate, DovecotServer.User);
        _graph = await GraphServer.StartAsync(_certificate, _issuer, DovecotServer.User);
    }

    public async Task DisposeAsync()
    {
        await _graph.DisposeAsync();
        await _issuer.DisposeAsync();
        _certificate.Dispose();
        _pki.Dispose();
        _dir.Dispose();
    }

    private string[] Args(string? user = null)
    {
        var secretFile = Path.Combine(_dir.Path, "client-secret");
        File.WriteAllText(secretFile, _issuer.ClientSecret);
        return
        [
            "--Ingestion:GraphMailboxes:0:Name=graph", $"--Ingestion:GraphMailboxes:0:User={user ?? DovecotServer.User}",
            $"--Ingestion:GraphMailboxes:0:BaseUrl={_graph.BaseUrl}", $"--Ingestion:GraphMailboxes:0:TrustedCaFile={_caFile}",
            "--Ingestion:GraphMailboxes:0:PollInterval=00:00:01", "--Ingestion:GraphMailboxes:0:MaxReconnectDelay=00:00:01",
            $"--Ingestion:GraphMailboxes:0:OAuth2:TenantId={OAuth2Issuer.Tenant}", $"--Ingestion:GraphMailboxes:0:OAuth2:ClientId={OAuth2Issuer.ClientId}",
            $"--Ingestion:GraphMailboxes:0:OAuth2:ClientSecretFile={secretFile}", $"--Ingestion:GraphMailboxes:0:OAuth2:Authority={_issuer.Authority}",
            $"--Ingestion:GraphMailboxes:0:OAuth2:TrustedCaFile={_caFile}",
        ];
    }

    private static async Task<List<string>> ReportIdsAsync(InProcessDaemon daemon)
    {
        await using var db = daemon.Store.Open();
        return await db.TlsReports.OrderBy(r => r.ReportId).Select(r => r.ReportId).ToListAsync();
    }

    private static (bool Connected, string? Error) State(InProcessDaemon daemon) =>
        daemon.Services.GetRequiredService<MailboxStatusBoard>().Get("graph") ?? (false, "no state");

    [Fact]
    public async Task Reports_waiting_and_arriving_are_read_committed_and_moved_and_other_mail_is_left()
    {
        _graph.Deliver(TestReports.ReportMail("graph-a", messageId: "graph-a@reporter.example"));
        _graph.Deliver(TestReports.DmarcMail("dmarc-1@google.com"));
        _graph.Deliver(TestReports.ReportMail("graph-b", gzip: false, messageId: "graph-b@reporter.example"));

        await using var daemon = await InProcessDaemon.StartAsync(Args());

        await DovecotServer.EventuallyAsync(async () => (await ReportIdsAsync(daemon)).Count == 2, "the waiting reports ingested");
        await DovecotServer.EventuallyAsync(() => Task.FromResult(_graph.MessageIdsIn("TLSRPT/Processed").Count == 2), "both moved");
        Assert.Equal(["dmarc-1@google.com"], _graph.MessageIdsIn("Inbox"));

        // New mail: the next delta query returns it, and nothing already seen.
        _graph.Deliver(TestReports.ReportMail("graph-c", messageId: "graph-c@reporter.example"));
        await DovecotServer.EventuallyAsync(async () => (await ReportIdsAsync(daemon)).Count == 3, "the new report ingested");
        await DovecotServer.EventuallyAsync(() => Task.FromResult(_graph.MessageIdsIn("TLSRPT/Processed").Count == 3), "moved");

        Assert.Equal(["graph-a", "graph-b", "graph-c"], await ReportIdsAsync(daemon));
        Assert.Equal(["graph-a@reporter.example", "graph-b@reporter.example", "graph-c@reporter.example"], _graph.MessageIdsIn("TLSRPT/Processed").Order());
        Assert.Equal(["dmarc-1@google.com"], _graph.MessageIdsIn("Inbox"));
        await using (var db = daemon.Store.Open())
        {
            Assert.All(await db.TlsReports.ToListAsync(), r => Assert.Equal(("graph", "graph/INBOX"), (r.SourceKind, r.SourceName)));
        }

        // Each message's content was read once: the DMARC report is not read again at every poll.
        Assert.Equal(4, _graph.Requests.Count(r => r.Request.EndsWith("/$value", StringComparison.Ordinal)));
        Assert.Equal((true, null), State(daemon));
        Assert.Equal(["graph"], _issuer.Issued);
    }

    [Fact]
    public async Task A_429_is_retried_after_the_time_graph_asks_for()
    {
        _graph.ThrottleNextDeltas = 1;
        _graph.RetryAfterSeconds = 2;
        _graph.Deliver(TestReports.ReportMail("graph-throttled"));

        await using var daemon = await InProcessDaemon.StartAsync(Args());

        await DovecotServer.EventuallyAsync(async () => (await ReportIdsAsync(daemon)).Count == 1, "report ingested after the 429");
        var deltas = _graph.Requests.Where(r => r.Request.Contains("/messages/delta", StringComparison.Ordinal)).Select(r => r.At).Take(2).ToList();
        Assert.True(deltas[1] - deltas[0] >= TimeSpan.FromSeconds(1.9), $"retried after {(deltas[1] - deltas[0]).TotalSeconds} s");
    }

    [Fact]
    public async Task Throttling_past_the_clients_retries_is_said_and_waited_out()
    {
        // The Graph client retries three times; the fourth 429 reaches the worker.
        _graph.ThrottleNextDeltas = 4;
        _graph.RetryAfterSeconds = 1;
        _graph.Deliver(TestReports.ReportMail("graph-throttled-long"));

        await using var daemon = await InProcessDaemon.StartAsync(Args());

        await DovecotServer.EventuallyAsync(async () => (await ReportIdsAsync(daemon)).Count == 1, "report ingested once Graph let go", seconds: 30);
        Assert.Contains(daemon.Logs.Lines, l => l.Message.StartsWith("Mailbox graph: Graph throttled the requests (HTTP 429) through all of the Graph client's retries, each made after the Retry-After Graph asked for; retrying in 1 s", StringComparison.Ordinal));
        // Four tries (the first and three retries) a second apart, as Retry-After asked; then the worker's own attempt.
        var deltas = _graph.Requests.Where(r => r.Request.Contains("/messages/delta", StringComparison.Ordinal)).Select(r => r.At).ToList();
        Assert.True(deltas.Count >= 5, $"{deltas.Count} delta requests");
        Assert.All(deltas.Zip(deltas.Skip(1)).Take(3), pair => Assert.True(pair.Second - pair.First >= TimeSpan.FromSeconds(0.9)));
        Assert.Equal((true, null), State(daemon));
    }

    [Fact]
    public async Task A_message_that_vanishes_between_listing_and_reading_is_skipped()
    {
        var gone = _graph.Deliver(TestReports.ReportMail("graph-gone", messageId: "gone@reporter.example"));
        _graph.Deliver(TestReports.ReportMail("graph-kept", messageId: "kept@reporter.example"));
        _graph.Vanishing[gone] = true;

        await using var daemon = await InProcessDaemon.StartAsync(Args());

        await DovecotServer.EventuallyAsync(() => Task.FromResult(_graph.MessageIdsIn("TLSRPT/Processed").Count == 1), "the other message moved");
        Assert.Equal(["graph-kept"], await ReportIdsAsync(daemon));
        await using var db = daemon.Store.Open();
        Assert.Empty(await db.ReportRejections.ToListAsync());
        Assert.Equal((true, null), State(daemon));
    }

    [Fact]
    public async Task A_mailbox_graph_does_not_know_is_said_in_one_line()
    {
        await using var daemon = await InProcessDaemon.StartAsync(Args(user: "nobody@example.org"));

        await DovecotServer.EventuallyAsync(() => Task.FromResult(State(daemon).Error?.StartsWith("Graph found no mailbox", StringComparison.Ordinal) == true), "the failure reported");

        Assert.Equal("Graph found no mailbox or folder (HTTP 404, ErrorInvalidUser: The requested user is invalid.): check User and Folder", State(daemon).Error);
    }
}
