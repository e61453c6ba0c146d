using System.Diagnostics;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using MtaStsReporting.Api.V1;

namespace MtaStsReporting.Bench;

/// <summary>
/// Does a client far over its rate limit slow the others? A polite relay (its own key, 4 calls
/// in flight, paced to 200 calls/s, under the 500/s limit) is measured alone, then while a greedy
/// relay (another key, 32 calls in flight, no pacing) is refused with RESOURCE_EXHAUSTED.
/// </summary>
internal static class LimitsBenchmark
{
    private const int Limit = 500;

    public static async Task RunAsync(int seconds, int rounds)
    {
        var rows = new List<(double AloneP50, double AloneP99, double BesideP50, double BesideP99, double PoliteRate, double GreedyOk, double GreedyRefused, int PoliteErrors)>();
        for (var round = 1; round <= rounds; round++)
        {
            var data = Directory.CreateTempSubdirectory("mtasts-limits-").FullName;
            var polite = await CreateKeyAsync(data, "polite");
            var greedy = await CreateKeyAsync(data, "greedy");
            await using var daemon = await Daemon.StartAsync(null, data, "--Security:Authentication=ApiKeys", $"--Limits:CallsPerSecondPerCaller={Limit}");
            using var politeChannel = GrpcChannel.ForAddress(daemon.Url);
            using var greedyChannel = GrpcChannel.ForAddress(daemon.Url);

            await PoliteAsync(politeChannel, polite, 3); // warm-up
            var alone = await PoliteAsync(politeChannel, polite, seconds);
            using var stop = new CancellationTokenSource();
            var greedyLoad = GreedyAsync(greedyChannel, greedy, stop.Token);
            await Task.Delay(1000);
            var beside = await PoliteAsync(politeChannel, polite, seconds);
            await stop.CancelAsync();
            var (ok, refused, greedySeconds) = await greedyLoad;

            alone.Latencies.Sort();
            beside.Latencies.Sort();
            var row = (Stats.Quantile(alone.Latencies, 0.5), Stats.Quantile(alone.Latencies, 0.99), Stats.Quantile(beside.Latencies, 0.5), Stats.Quantile(beside.Latencies, 0.99),
                beside.Latencies.Count / (double)seconds, ok / greedySeconds, refused / greedySeconds, alone.Errors + beside.Errors);
            rows.Add(row);
            Console.WriteLine($"round {round}: polite alone p50 {row.Item1:N2} ms p99 {row.Item2:N2} ms; beside greedy p50 {row.Item3:N2} ms p99 {row.Item4:N2} ms ({row.Item5:N0} calls/s, {row.Item8} errors); " +
                $"greedy {row.Item6:N0} calls/s accepted, {row.Item7:N0} calls/s refused");
            Directory.Delete(data, recursive: true);
        }

        Console.WriteLine($"median of {rounds} rounds ({Environment.ProcessorCount} cores, {seconds} s per phase, limit {Limit}/s per key): " +
            $"polite alone p50 {Stats.Median(rows.Select(r => r.AloneP50)):N2} ms p99 {Stats.Median(rows.Select(r => r.AloneP99)):N2} ms; " +
            $"beside greedy p50 {Stats.Median(rows.Select(r => r.BesideP50)):N2} ms p99 {Stats.Median(rows.Select(r => r.BesideP99)):N2} ms; " +
            $"greedy accepted {Stats.Median(rows.Select(r => r.GreedyOk)):N0}/s, refused {Stats.Median(rows.Select(r => r.GreedyRefused)):N0}/s; polite errors {rows.Sum(r => r.PoliteErrors)}");
    }

    private static async Task<string> CreateKeyAsync(string data, string name)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Daemon.DaemonDll(), "keys", "create", "--role", "relay", "--name", name, $"--Storage:DataDirectory={data}" })
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var text = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var line = text.Split('\n').First(l => l.StartsWith('{'));
        return JsonDocument.Parse(line).RootElement.GetProperty("key").GetString()!;
    }

    private static OutcomeBatch Batch(string id)
    {
        var batch = new OutcomeBatch { BatchId = id };
        for (var i = 0; i < 10; i++)
        {
            batch.SessionOutcomes.Add(new SessionOutcome
            {
                PolicyDomain = $"limits-{i}.example",
                Policy = new AppliedPolicy { PolicyType = PolicyType.Sts, PolicyString = { "version: STSv1", "mode: testing", "mx: mx.example", "max_age: 86400" }, MxHost = { "mx.example" } },
                Time = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddMinutes(-1)),
                Count = 1,
            });
        }

        return batch;
    }

    private static async Task<(List<double> Latencies, int Errors)> PoliteAsync(GrpcChannel channel, string key, int seconds)
    {
        var client = new RelayOutcomes.RelayOutcomesClient(channel);
        var headers = new Metadata { { "x-api-key", key } };
        var latencies = new List<double>();
        var errors = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            // 4 workers × 50 calls/s: 200 calls/s, well under the limit.
            for (var i = 0; clock.Elapsed.TotalSeconds < seconds; i++)
            {
                var due = TimeSpan.FromMilliseconds(20 * i);
                if (due > clock.Elapsed)
                {
                    await Task.Delay(due - clock.Elapsed);
                }

                var started = Stopwatch.GetTimestamp();
                try
                {
                    await client.ReportOutcomesAsync(Batch($"p-{Guid.NewGuid():N}"), headers);
                    lock (latencies)
                    {
                        latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    }
                }
                catch (RpcException)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        })));
        return (latencies, errors);
    }

    private static async Task<(long Ok, long Refused, double Seconds)> GreedyAsync(GrpcChannel channel, string key, CancellationToken stop)
    {
        var client = new RelayOutcomes.RelayOutcomesClient(channel);
        var headers = new Metadata { { "x-api-key", key } };
        long ok = 0, refused = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await client.ReportOutcomesAsync(Batch($"g-{Guid.NewGuid():N}"), headers);
                    Interlocked.Increment(ref ok);
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
                {
                    Interlocked.Increment(ref refused);
                }
            }
        })));
        return (ok, refused, clock.Elapsed.TotalSeconds);
    }
}
