using MtaStsReporting.Persistence.Store;
using MtaStsReporting.Domain.TlsRpt;
using System.Diagnostics;
using System.Globalization;
using Grpc.Net.Client;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Persistence;
using MtaStsReporting.Persistence.RelayOutcomes;
using MtaStsReporting.Persistence.Reports;
using D = MtaStsReporting.Domain;

namespace MtaStsReporting.Bench;

/// <summary>
/// Query latency on a realistic store: loads it with the daemon's own write code (the report
/// store and the relay outcome writer, as ingestion uses them), then starts the daemon on it and
/// times the query API over gRPC.
/// </summary>
internal static class QueryBenchmark
{
    private static readonly string[] Reporters = ["Google Inc.", "Microsoft Corporation", "Mail.ru", "Yahoo Inc.", "Comcast"];
    private static readonly string[] ResultTypes = ["certificate-expired", "certificate-host-mismatch", "starttls-not-supported", "validation-failure", "sts-policy-fetch-error"];

    public static async Task RunAsync(string daemonDll, int domains, int days, int rounds, string? keep, string storeKind)
    {
        var dataDir = keep ?? Directory.CreateTempSubdirectory("mtasts-query-bench-").FullName;
        Directory.CreateDirectory(dataDir);
        var dbPath = Path.Combine(dataDir, "mtasts-reporting.db");
        var end = DateOnly.FromDateTime(DateTime.UtcNow);
        var (storeArgs, postgres) = await BenchStore.FreshAsync(storeKind);
        try
        {
            if (postgres is not null || !File.Exists(dbPath))
            {
                var clock = Stopwatch.StartNew();
                var (reports, outcomes) = await LoadAsync(postgres ?? StoreSettings.SqliteFile(dbPath, SqliteDurability.Normal), domains, days, end);
                Console.WriteLine($"loaded {reports:N0} inbound reports and {outcomes:N0} outbound outcome rows for {domains} domains x {days} days in {clock.Elapsed.TotalSeconds:N0} s" +
                    (postgres is null ? $" ({new FileInfo(dbPath).Length / 1024 / 1024:N0} MB)" : " (PostgreSQL)"));
            }
            else
            {
                Console.WriteLine($"reusing {dbPath} ({new FileInfo(dbPath).Length / 1024 / 1024:N0} MB)");
            }

            await using var daemon = await Daemon.StartAsync(null, dataDir, storeArgs);
            using var channel = GrpcChannel.ForAddress(daemon.Url);
            var query = new Query.QueryClient(channel);
            var random = new Random(8461);
            var ninety = new DayRange { StartDay = Day(end.AddDays(-89)), EndDay = Day(end) };
            var thirty = new DayRange { StartDay = Day(end.AddDays(-29)), EndDay = Day(end) };

            // Warm-up: JIT and the page cache.
            for (var i = 0; i < 50; i++)
            {
                await query.GetDailyTrendAsync(new DomainRequest { Domain = Domain(random.Next(domains)), Range = ninety });
            }

            await query.ListDomainsAsync(new ListDomainsRequest { Range = thirty });
            var scenarios = new (string Name, int Calls, Func<Task> Call)[]
            {
                ("trend, 1 domain, 90 days, both directions", 500, () => query.GetDailyTrendAsync(new DomainRequest { Domain = Domain(random.Next(domains)), Range = ninety }).ResponseAsync),
                ("breakdown by result type, 90 days, inbound", 500, () => query.GetFailureBreakdownAsync(new BreakdownRequest
                {
                    Domain = Domain(random.Next(domains)), Range = ninety, Direction = Direction.Inbound, Dimension = BreakdownRequest.Types.Dimension.ResultType,
                }).ResponseAsync),
                ("breakdown by receiving MX, 90 days, outbound", 500, () => query.GetFailureBreakdownAsync(new BreakdownRequest
                {
                    Domain = Domain(random.Next(domains)), Range = ninety, Direction = Direction.Outbound, Dimension = BreakdownRequest.Types.Dimension.ReceivingMx,
                }).ResponseAsync),
                ("domain summary, 90 days", 200, () => query.GetDomainSummaryAsync(new DomainRequest { Domain = Domain(random.Next(domains)), Range = ninety }).ResponseAsync),
                ("domain list, 30 days, both directions, by failure rate", 30, () => query.ListDomainsAsync(new ListDomainsRequest { Range = thirty }).ResponseAsync),
            };

            for (var round = 1; round <= rounds; round++)
            {
                foreach (var (name, calls, call) in scenarios)
                {
                    var latencies = new List<double>(calls);
                    for (var i = 0; i < calls; i++)
                    {
                        var started = Stopwatch.GetTimestamp();
                        await call();
                        latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    }

                    latencies.Sort();
                    Console.WriteLine($"round {round}  {name,-58} p50 {latencies[calls / 2],7:N2} ms  p99 {latencies[Math.Min(calls - 1, calls * 99 / 100)],7:N2} ms  ({calls} calls)");
                }
            }

            Console.WriteLine($"daemon peak {daemon.PeakMemoryBytes() / 1024 / 1024:N0} MB");
        }
        finally
        {
            if (keep is null)
            {
                Directory.Delete(dataDir, recursive: true);
            }
        }
    }

    private static string Domain(int i) => $"d{i:D4}.example";

    private static string Day(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>
    /// Per day and domain: reports from 2–3 of 5 reporters (about 2.5 per domain-day, so 1,000
    /// domains × 400 days ≈ one million reports), each with 0–3 failure details; and outbound
    /// outcomes under one or two policies with a few failure details.
    /// </summary>
    private static async Task<(long Reports, long Outcomes)> LoadAsync(StoreSettings settings, int domains, int days, DateOnly end)
    {
        await using var reporting = new ReportingStore(settings, TimeProvider.System);
        await reporting.MigrateAsync(CancellationToken.None);
        reporting.Open();
        var store = reporting.Reports;
        var random = new Random(8460);
        var original = "{}"u8.ToArray();
        long reports = 0, outcomeRows = 0;
        var batch = new List<IncomingReport>(20_000);
        for (var d = 0; d < days; d++)
        {
            var day = end.AddDays(-d);
            var start = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            var delta = new D.RelayOutcomes.DailyOutcomeDelta();
            for (var i = 0; i < domains; i++)
            {
                var domain = Domain(i);
                var mode = i % 3 == 0 ? "enforce" : "testing";
                string[] lines = ["version: STSv1", "mode: " + mode, $"mx: mx.{domain}", "max_age: 604800"];
                foreach (var reporter in Reporters.Where((_, r) => r < 2 || random.Next(6) == 0))
                {
                    var details = Enumerable.Range(0, random.Next(4)).Select(_ => new D.TlsRpt.TlsReportFailureDetail(
                        ResultTypes[random.Next(ResultTypes.Length)], $"198.51.100.{random.Next(50)}", $"mx{random.Next(3)}.{domain}", null,
                        $"192.0.2.{random.Next(50)}", 1 + random.Next(20), null, null)).ToList();
                    var policy = new D.TlsRpt.TlsReportPolicy("sts", lines, domain, [$"mx.{domain}"], random.Next(5000), details.Sum(x => x.FailedSessionCount), details);
                    var report = new D.TlsRpt.TlsReport(reporter, "tlsrpt@" + reporter.Split(' ')[0].ToLowerInvariant() + ".example", $"{Day(day)}_{domain}_{reporter}",
                        start, start.AddDays(1).AddSeconds(-1), [policy], []);
                    batch.Add(new IncomingReport(report, new ReportSource("file", "bench", null), DkimVerdict.None, original, "application/json"));
                }

                var applied = new D.RelayOutcomes.AppliedPolicy(D.TlsRpt.PolicyType.Sts, lines, [$"mx.{domain}"]);
                var name = D.Names.DomainName.Parse(domain);
                delta.Add(new D.RelayOutcomes.SessionOutcome(name, start.AddHours(12), applied, 1 + random.Next(2000), null));
                for (var f = random.Next(3); f > 0; f--)
                {
                    delta.Add(new D.RelayOutcomes.SessionOutcome(name, start.AddHours(12), applied, 1 + random.Next(10),
                        new D.RelayOutcomes.FailureDetail(new D.TlsRpt.ResultType(ResultTypes[random.Next(4)]), $"203.0.113.{random.Next(8)}", $"mx{random.Next(3)}.{domain}", null, null, null, null)));
                }
            }

            await reporting.Relay.CommitAsync(new PendingBatch($"bench-{Day(day)}", delta), CancellationToken.None);
            outcomeRows += delta.PolicyDays.Count + delta.Failures.Count;
            if (batch.Count >= 10_000 || d == days - 1)
            {
                await store.SaveAsync(batch, [], CancellationToken.None);
                reports += batch.Count;
                batch.Clear();
            }
        }

        return (reports, outcomeRows);
    }
}
