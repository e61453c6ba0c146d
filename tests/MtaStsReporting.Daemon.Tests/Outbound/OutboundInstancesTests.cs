using Microsoft.EntityFrameworkCore;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Tests.Support;
using MtaStsReporting.Persistence.Store;
using MtaStsReporting.Tests.Shared;
using Xunit.Abstractions;

namespace MtaStsReporting.Daemon.Tests.Outbound;

/// <summary>
/// Three daemon processes on one PostgreSQL database, all with sending on: each day's reports are
/// built once and each delivered once, and when the instance that sends is killed with SIGKILL
/// in the middle of an attempt, another takes over, marks that attempt interrupted (it is not
/// repeated) and sends the rest.
/// </summary>
public sealed class OutboundInstancesTests(OutboundFixture fixture, ITestOutputHelper output) : IClassFixture<OutboundFixture>, IAsyncLifetime
{
    private const int Domains = 30;
    private readonly List<TempDirectory> _folders = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        _folders.ForEach(f => f.Dispose());
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Each_report_is_built_and_sent_once_and_the_attempt_of_a_killed_sender_is_not_repeated()
    {
        using var certificate = fixture.Pki.Issue("localhost");
        await using var receiver = await ReportReceiver.StartAsync(certificate, 200);
        // The first report in the sender's order hangs at the endpoint: its sender is killed then.
        receiver.HangPath = "/d00";
        var connectionString = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        string[] args =
        [
            "--Storage:Provider=PostgreSql", $"--Storage:ConnectionString={connectionString}", "--Storage:LeaseTime=3s",
            .. fixture.DaemonArgs(1, "--Outbound:BuildDelay=0s", "--Outbound:MaxParallelDeliveries=1"),
        ];
        _folders.AddRange(Enumerable.Range(0, 3).Select(_ => new TempDirectory()));
        var daemons = (await Task.WhenAll(_folders.Select(f => DaemonProcess.StartAsync(f.Path, args)))).ToList();

        // Yesterday's sessions to 30 domains, each to its own rua, sent to all three instances.
        var yesterday = DateTimeOffset.UtcNow.AddDays(-1);
        var day = DateOnly.FromDateTime(yesterday.UtcDateTime).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        for (var i = 0; i < Domains; i++)
        {
            var batch = Outcomes.Batch($"b{i}", Outcomes.Success($"d{i:00}.example", yesterday, 5), Outcomes.Failure($"d{i:00}.example", yesterday, ResultType.StarttlsNotSupported, 1));
            foreach (var s in batch.SessionOutcomes)
            {
                s.TlsrptRecord = $"v=TLSRPTv1; rua={receiver.Url($"/d{i:00}")}";
            }

            using var channel = daemons[i % 3].CreateChannel();
            await new RelayOutcomes.RelayOutcomesClient(channel).ReportOutcomesAsync(batch);
        }

        // The sender is mid-attempt on d00: kill it.
        await DovecotServer.EventuallyAsync(() => Task.FromResult(receiver.Received.Any(r => r.Path == "/d00")), "the hanging attempt", seconds: 30);
        var store = new StoreReader(new StoreSettings(StoreProvider.PostgreSql, connectionString));
        string holder;
        await using (var db = store.Open())
        {
            holder = (await db.Leases.AsNoTracking().SingleAsync(l => l.Name == "outbound")).Holder;
        }

        var victim = daemons.Single(d => holder.Split('/')[1] == d.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await victim.KillAsync();
        var killedAt = System.Diagnostics.Stopwatch.StartNew();

        await DovecotServer.EventuallyAsync(() => Task.FromResult(receiver.Received.Count(r => r.Answered == 200) == Domains - 1), "the other reports sent by another instance", seconds: 60);
        var takeover = killedAt.Elapsed;
        await Task.Delay(1000);

        // Every report once: built once per domain, one request per destination, the hung one never again.
        Assert.Equal(Enumerable.Range(0, Domains).Select(i => $"/d{i:00}"), receiver.Received.Select(r => r.Path).Order());
        await using (var db = store.Open())
        {
            Assert.Equal(Domains, await db.OutboundDays.CountAsync(d => d.Outcome == "built"));
            Assert.Equal(Domains, await db.OutboundReports.CountAsync());
            var states = await db.OutboundDeliveries.GroupBy(d => d.State).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count);
            Assert.Equal(new Dictionary<string, int> { ["delivered"] = Domains - 1, ["interrupted"] = 1 }, states);
            Assert.Equal("interrupted", (await db.OutboundAttempts.SingleAsync(a => a.Destination == receiver.Url("/d00"))).Outcome);
            Assert.Equal(Domains, await db.OutboundAttempts.CountAsync());
            Assert.Equal(5L * Domains + Domains, await db.OutboundReports.SumAsync(r => r.Sessions));
            Assert.All(await db.OutboundReports.Select(r => r.Day).ToListAsync(), d => Assert.Equal(day, d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)));
        }

        var takers = daemons.Where(d => d != victim && d.Output.Contains("1 attempts left unfinished before are marked interrupted", StringComparison.Ordinal)).ToList();
        Assert.Single(takers);
        output.WriteLine($"{Domains} reports, the sender killed mid-attempt; the rest sent by another instance {takeover.TotalSeconds:0.0} s after the kill");
        foreach (var d in daemons)
        {
            await d.DisposeAsync();
        }
    }
}
