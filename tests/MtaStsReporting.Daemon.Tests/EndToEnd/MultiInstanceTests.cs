using System.Collections.Concurrent;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Tests.Support;
using MtaStsReporting.Persistence.Store;
using MtaStsReporting.Tests.Shared;
using Npgsql;
using Xunit.Abstractions;
using static MtaStsReporting.Daemon.Tests.Support.Outcomes;

namespace MtaStsReporting.Daemon.Tests.EndToEnd;

/// <summary>
/// Three daemon processes on one PostgreSQL database, as behind a load balancer: relay load
/// spread over all three with retries at another instance, one mailbox configured on all
/// three, and the instance reading the mailbox killed with SIGKILL.
/// </summary>
public sealed class MultiInstanceTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly List<TempDirectory> _folders = [];
    private DovecotServer _dovecot = null!;

    public async Task InitializeAsync() => _dovecot = await DovecotServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _dovecot.DisposeAsync();
        _folders.ForEach(f => f.Dispose());
    }

    [Fact]
    public async Task Acknowledged_outcomes_count_once_the_mailbox_is_taken_over_and_retention_runs_on_one_instance()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        string[] args =
        [
            "--Storage:Provider=PostgreSql", $"--Storage:ConnectionString={connectionString}", "--Storage:LeaseTime=3s",
            "--Retention:Interval=1s", "--Retention:StepRows=1", .. _dovecot.MailboxArgs(TimeSpan.FromSeconds(1)),
        ];
        // Started together: their migrations meet on the empty database.
        _folders.AddRange(Enumerable.Range(0, 3).Select(_ => new TempDirectory()));
        var daemons = (await Task.WhenAll(_folders.Select(f => DaemonProcess.StartAsync(f.Path, args)))).ToList();

        // Ten batch ids from long ago: retention removes them, one instance only.
        await using (var db = new NpgsqlConnection(connectionString))
        {
            await db.OpenAsync();
            await using var insert = new NpgsqlCommand(
                "INSERT INTO relay_batches (batch_id, committed_at, session_count, fetch_count) SELECT 'old-' || g, @at, 1, 0 FROM generate_series(1, 10) g", db);
            insert.Parameters.AddWithValue("at", DateTimeOffset.UtcNow.AddDays(-100).ToUnixTimeMilliseconds());
            await insert.ExecuteNonQueryAsync();
        }

        var store = new StoreReader(new StoreSettings(StoreProvider.PostgreSql, connectionString));
        await DovecotServer.EventuallyAsync(async () =>
        {
            await using var db = store.Open();
            return !await db.RelayBatches.AnyAsync(b => b.BatchId.StartsWith("old-"));
        }, "the old batch ids swept");

        // Relay load: each batch goes to one instance and, while unacknowledged, to the next.
        var now = DateTimeOffset.UtcNow;
        var sent = new ConcurrentDictionary<string, OutcomeBatch>();
        var acknowledged = new ConcurrentDictionary<string, int>();
        var channels = daemons.Select(d => d.CreateChannel()).ToList();
        using var stop = new CancellationTokenSource();
        async Task Work(int worker)
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var batch = new OutcomeBatch { BatchId = $"w{worker}-{i}" };
                for (var j = 0; j < 10; j++)
                {
                    batch.SessionOutcomes.Add(j % 4 == 0
                        ? Failure($"multi{j % 3}.example", now, ResultType.CertificateExpired, j + 1)
                        : Success($"multi{j % 3}.example", now, j + 1));
                }

                sent[batch.BatchId] = batch;
                for (var attempt = 0; !acknowledged.ContainsKey(batch.BatchId); attempt++)
                {
                    Assert.True(attempt < 30, $"batch {batch.BatchId} not acknowledged by any instance");
                    try
                    {
                        await new RelayOutcomes.RelayOutcomesClient(channels[(worker + i + attempt) % 3]).ReportOutcomesAsync(batch, deadline: DateTime.UtcNow.AddSeconds(10));
                        acknowledged[batch.BatchId] = attempt;
                    }
                    catch (RpcException)
                    {
                        // That instance is gone: the load balancer sends the retry elsewhere.
                    }
                }
            }
        }

        var load = Enumerable.Range(0, 12).Select(w => Task.Run(() => Work(w))).ToArray();
        await WaitForAsync(() => acknowledged.Count >= 600, load);

        // The instance that reads the mailbox dies.
        string holder;
        await using (var db = store.Open())
        {
            holder = (await db.Leases.AsNoTracking().SingleAsync(l => l.Name.StartsWith("mailbox:"))).Holder;
        }

        var victim = daemons.Single(d => holder.Split('/')[1] == d.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await victim.KillAsync();
        var killedAt = System.Diagnostics.Stopwatch.StartNew();
        foreach (var id in new[] { "after-kill-1", "after-kill-2", "after-kill-3" })
        {
            await _dovecot.AppendAsync(TestReports.ReportMail(id));
        }

        await DovecotServer.EventuallyAsync(async () => (await _dovecot.MessageIdsAsync("TLSRPT/Processed")).Count == 3, "the mail read by another instance", seconds: 30);
        var takeover = killedAt.Elapsed;
        await WaitForAsync(() => acknowledged.Count >= 1_500, load);
        stop.Cancel();
        await Task.WhenAll(load);

        await using (var db = store.Open())
        {
            Assert.Equal(sent.Count, await db.RelayBatches.CountAsync());
            Assert.Equal(sent.Values.Sum(b => b.SessionOutcomes.Sum(s => s.Count)), await db.DailyPolicyCounts.SumAsync(c => c.SuccessCount + c.FailureCount));
            Assert.Equal(sent.Values.Sum(b => b.SessionOutcomes.Where(s => s.Failure is not null).Sum(s => s.Count)), await db.DailyFailureDetails.SumAsync(f => f.FailedSessionCount));
            Assert.Equal(["after-kill-1", "after-kill-2", "after-kill-3"], await db.TlsReports.Select(r => r.ReportId).OrderBy(r => r).ToListAsync());
            var newHolder = (await db.Leases.AsNoTracking().SingleAsync(l => l.Name.StartsWith("mailbox:"))).Holder;
            Assert.NotEqual(holder, newHolder);
        }

        var sweepers = daemons.Where(d => d.Output.Contains("Retention removed", StringComparison.Ordinal)).ToList();
        Assert.Contains("relay_batches=10", Assert.Single(sweepers).Output, StringComparison.Ordinal);
        output.WriteLine($"{sent.Count} batches, {acknowledged.Values.Count(a => a > 0)} acknowledged on a retry, mailbox taken over {takeover.TotalSeconds:0.0} s after the kill");
        channels.ForEach(c => c.Dispose());
        foreach (var d in daemons)
        {
            await d.DisposeAsync();
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, Task[] load)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(120), "the relay load did not progress in 120 s");
            if (load.FirstOrDefault(t => t.IsFaulted) is { } failed)
            {
                await failed;
            }

            await Task.Delay(20);
        }
    }
}
