using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Tests.Support;
using Xunit.Abstractions;
using static MtaStsReporting.Daemon.Tests.Support.Outcomes;

namespace MtaStsReporting.Daemon.Tests.Faults;

/// <summary>
/// A bounded soak (about a minute and a half) under relay load and a stream of report mails, during which
/// the daemon is killed and restarted, Dovecot is restarted, and the database's file system (a small
/// tmpfs of the test's own) fills up and is freed again. Afterwards every acknowledged batch and
/// every delivered mail is stored exactly once and the database is intact.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class FaultSoakTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TempDirectory _cwd = new();
    private readonly TempDirectory _mount = new();
    private bool _mounted;

    public Task InitializeAsync()
    {
        // A file system that can really fill up, without touching the machine's disks.
        var (code, text) = Command.Run("mount", "-t", "tmpfs", "-o", "size=48m,mode=0700", "tmpfs", _mount.Path);
        Assert.True(code == 0, $"the fault soak mounts a 48 MB tmpfs and needs root for it (CI runs as root): {text}");
        _mounted = true;
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        if (_mounted)
        {
            Command.Run("umount", "-l", _mount.Path);
        }

        _mount.Dispose();
        _cwd.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>A report mail with its own report id: 10 successful sessions for soak-inbound.example.</summary>
    private static byte[] ReportMail(int n) => TestReports.Mail(
        TestReports.Attachment("outer", "application/tlsrpt+json", TestReports.Report($"soak-{n}", "soak-inbound.example", "Soak Reporter")),
        messageId: $"soak-{n}@reporter.example");

    [Fact]
    public async Task Kill_dovecot_restart_and_a_full_disk_lose_nothing_acknowledged_and_count_nothing_twice()
    {
        await using var dovecot = await DovecotServer.StartAsync();
        // The killed daemon's mailbox lease stays its own until it expires: a short lease lets the
        // restarted daemon read the mailbox within seconds rather than after the default 30 s,
        // which with the backoff of the disk-full phase left the 60 s wait below too short on a
        // busy machine.
        string[] args = [$"--Storage:DataDirectory={_mount.Path}", "--Retention:Interval=01:00:00", "--Storage:LeaseTime=3s", .. dovecot.MailboxArgs(TimeSpan.FromSeconds(1))];
        var daemon = await DaemonProcess.StartAsync(_cwd.Path, args);
        var channel = daemon.CreateChannel();
        var now = DateTimeOffset.UtcNow;

        var all = new ConcurrentDictionary<string, OutcomeBatch>();
        var acknowledged = new ConcurrentDictionary<string, bool>();
        var errors = new ConcurrentQueue<string>();
        var fullDisk = 0; // 1 while the file system is full
        var errorsWhileFull = new ConcurrentQueue<string>();
        var appended = new ConcurrentBag<int>();
        using var stop = new CancellationTokenSource();

        async Task Relay(int worker)
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var batch = new OutcomeBatch { BatchId = $"soak-w{worker}-{i}" };
                for (var j = 0; j < 5; j++)
                {
                    batch.SessionOutcomes.Add(Success($"soak-{worker}-{j}.example", now.AddMinutes(-1), count: 1 + (i % 7)));
                }

                all[batch.BatchId] = batch;
                try
                {
                    await new RelayOutcomes.RelayOutcomesClient(Volatile.Read(ref channel)).ReportOutcomesAsync(batch, deadline: DateTime.UtcNow.AddSeconds(5));
                    acknowledged[batch.BatchId] = true;
                }
                catch (RpcException ex)
                {
                    errors.Enqueue($"{ex.StatusCode}: {ex.Status.Detail}");
                    if (Volatile.Read(ref fullDisk) == 1)
                    {
                        errorsWhileFull.Enqueue($"{ex.StatusCode}: {ex.Status.Detail}");
                    }

                    await Task.Delay(50);
                }

                await Task.Delay(5);
            }
        }

        async Task Mail()
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                try
                {
                    await dovecot.AppendAsync(ReportMail(n));
                    appended.Add(n);
                }
                catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or MailKit.ServiceNotConnectedException or MailKit.Net.Imap.ImapProtocolException)
                {
                    n--; // Dovecot is restarting: deliver the same mail again
                }

                await Task.Delay(250);
            }
        }

        var load = Enumerable.Range(0, 6).Select(w => Task.Run(() => Relay(w))).Append(Task.Run(Mail)).ToList();
        var phases = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(8));

        // 1. SIGKILL under load, and a restart on the same database.
        var beforeKill = acknowledged.Count;
        await daemon.KillAsync();
        await daemon.DisposeAsync();
        await Task.Delay(500);
        daemon = await DaemonProcess.StartAsync(_cwd.Path, args);
        var oldChannel = Interlocked.Exchange(ref channel, daemon.CreateChannel());
        oldChannel.Dispose();
        output.WriteLine($"{phases.Elapsed.TotalSeconds:F1} s: killed after {beforeKill} acknowledged batches; restarted");
        await Task.Delay(TimeSpan.FromSeconds(8));

        // 2. Dovecot restarts while mail keeps arriving.
        await dovecot.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(2));
        await dovecot.RestartAsync();
        output.WriteLine($"{phases.Elapsed.TotalSeconds:F1} s: Dovecot restarted; {appended.Count} mails delivered so far");
        await Task.Delay(TimeSpan.FromSeconds(6));

        // 3. The database's file system fills up.
        var filler = Path.Combine(_mount.Path, "filler");
        await using (var stream = new FileStream(filler, FileMode.Create, FileAccess.Write))
        {
            var chunk = new byte[256 * 1024];
            try
            {
                while (true)
                {
                    stream.Write(chunk);
                }
            }
            catch (IOException)
            {
                // full
            }

            try
            {
                stream.Flush();
            }
            catch (IOException)
            {
                // the last partial chunk did not fit either
            }
        }

        Volatile.Write(ref fullDisk, 1);
        var acknowledgedAtFull = acknowledged.Count;
        await Task.Delay(TimeSpan.FromSeconds(6));
        Volatile.Write(ref fullDisk, 0);
        var storeHealthWhileFull = await StoreHealthAsync(channel);
        output.WriteLine($"{phases.Elapsed.TotalSeconds:F1} s: disk full for 6 s; {errorsWhileFull.Count} refused calls, store health {storeHealthWhileFull}");

        // 4. Space returns; the daemon must carry on without a restart.
        File.Delete(filler);
        var acknowledgedAtFreed = acknowledged.Count;
        await Task.Delay(TimeSpan.FromSeconds(8));
        var acknowledgedAfterFreed = acknowledged.Count - acknowledgedAtFreed;
        await stop.CancelAsync();
        await Task.WhenAll(load);
        output.WriteLine($"{phases.Elapsed.TotalSeconds:F1} s: load stopped; {all.Count} batches sent, {acknowledged.Count} acknowledged, {appended.Count} mails delivered");

        // The relays' retry: every batch not acknowledged is sent again with its id until it is.
        var relay = new RelayOutcomes.RelayOutcomesClient(channel);
        foreach (var (id, batch) in all.Where(b => !acknowledged.ContainsKey(b.Key)))
        {
            await relay.ReportOutcomesAsync(batch, deadline: DateTime.UtcNow.AddSeconds(30));
        }

        await DovecotServer.EventuallyAsync(async () => (await dovecot.MessageIdsAsync("TLSRPT/Processed")).Count == appended.Count, "every delivered mail processed", seconds: 60);
        Assert.Empty(await dovecot.MessageIdsAsync("INBOX"));
        Assert.Empty(await dovecot.MessageIdsAsync("TLSRPT/Invalid"));
        Assert.Equal(0, await daemon.TerminateAsync());
        await daemon.DisposeAsync();
        channel.Dispose();

        // What the phases showed.
        Assert.True(acknowledgedAfterFreed > 50, $"only {acknowledgedAfterFreed} batches acknowledged after space returned");
        Assert.NotEmpty(errorsWhileFull);
        Assert.All(errorsWhileFull, e => Assert.True(e.StartsWith("Unavailable", StringComparison.Ordinal) || e.StartsWith("DeadlineExceeded", StringComparison.Ordinal), e));
        Assert.Contains(errorsWhileFull, e => e.Contains("disk is full", StringComparison.Ordinal));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, storeHealthWhileFull);

        // Exactly once: every batch stored once (the acknowledged ones and the retried ones), every mail once.
        var store = new StoreReader(Path.Combine(_mount.Path, "mtasts-reporting.db"));
        await using var db = store.Open();
        var expected = all.Values.Sum(b => b.SessionOutcomes.Sum(s => s.Count));
        Assert.Equal(expected, await store.TotalSessionsAsync());
        Assert.Equal(all.Count, await db.RelayBatches.CountAsync(b => b.BatchId.StartsWith("soak-w")));
        var reportIds = await db.TlsReports.Select(r => r.ReportId).ToListAsync();
        Assert.Equal(appended.Select(n => $"soak-{n}").Order(), reportIds.Order());
        Assert.Equal(10L * appended.Count, await db.InboundDailyCounts.SumAsync(c => c.SuccessCount));

        await using var connection = new SqliteConnection($"Data Source={Path.Combine(_mount.Path, "mtasts-reporting.db")}");
        await connection.OpenAsync();
        await using var check = connection.CreateCommand();
        check.CommandText = "PRAGMA integrity_check";
        Assert.Equal("ok", (string?)await check.ExecuteScalarAsync());
        output.WriteLine($"stored: {expected} sessions in {all.Count} batches, {reportIds.Count} reports; integrity ok; {errors.Count} refused calls in all");
    }

    private static async Task<HealthCheckResponse.Types.ServingStatus> StoreHealthAsync(GrpcChannel channel) =>
        (await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest())).Status;
}

/// <summary>The soak loads both cores; it runs alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultCollection
{
    public const string Name = "faults";
}
