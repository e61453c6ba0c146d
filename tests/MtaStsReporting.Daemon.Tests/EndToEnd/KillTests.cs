using System.Collections.Concurrent;
using Grpc.Core;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Tests.Support;
using Xunit.Abstractions;
using static MtaStsReporting.Daemon.Tests.Support.Outcomes;

namespace MtaStsReporting.Daemon.Tests.EndToEnd;

/// <summary>
/// SIGKILL under load: every batch the daemon acknowledged must be stored, once; batches in
/// flight may or may not be, and a retry with the same id settles them without double counting.
/// </summary>
public sealed class KillTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _cwd = new();

    public void Dispose() => _cwd.Dispose();

    [Fact]
    public async Task Every_acknowledged_outcome_survives_sigkill_exactly_once()
    {
        const int workers = 16;
        var now = DateTimeOffset.UtcNow;
        var sent = new ConcurrentDictionary<string, OutcomeBatch>();
        var acknowledged = new ConcurrentDictionary<string, long>();

        await using (var daemon = await DaemonProcess.StartAsync(_cwd.Path))
        {
            using var channel = daemon.CreateChannel();
            var client = new RelayOutcomes.RelayOutcomesClient(channel);
            using var stop = new CancellationTokenSource();

            async Task Work(int worker)
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var batch = new OutcomeBatch { BatchId = $"w{worker}-{i}" };
                    for (var j = 0; j < 20; j++)
                    {
                        batch.SessionOutcomes.Add(j % 5 == 0
                            ? Failure($"kill{worker % 4}.example", now, ResultType.CertificateExpired, j + 1, sendingIp: $"198.51.100.{j}")
                            : Success($"kill{worker % 4}.example", now, j + 1));
                    }

                    sent[batch.BatchId] = batch;
                    try
                    {
                        var response = await client.ReportOutcomesAsync(batch);
                        Assert.False(response.Duplicate);
                        acknowledged[batch.BatchId] = response.SessionCount;
                    }
                    catch (RpcException)
                    {
                        return; // the daemon is gone: this batch is in doubt
                    }
                }
            }

            var load = Enumerable.Range(0, workers).Select(w => Task.Run(() => Work(w))).ToArray();
            // Bounded: a daemon that stops acknowledging fails the test instead of hanging it.
            var deadline = System.Diagnostics.Stopwatch.StartNew();
            while (acknowledged.Count < 2_000)
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(120), $"only {acknowledged.Count} acknowledgements in 120 s");
                Assert.DoesNotContain(load, t => t.IsFaulted);
                await Task.Delay(20);
            }

            await daemon.KillAsync();
            stop.Cancel();
            await Task.WhenAll(load);
        }

        var store = new StoreReader(Path.Combine(_cwd.Path, "data", "mtasts-reporting.db"));
        await using (var daemon = await DaemonProcess.StartAsync(_cwd.Path))
        {
            // Every acknowledged batch is there, and the aggregates hold exactly the batches
            // recorded as committed: nothing lost, nothing half-written.
            var committed = (await store.BatchesAsync()).ToDictionary(b => b.BatchId, b => b.SessionCount);
            foreach (var (id, count) in acknowledged)
            {
                Assert.True(committed.TryGetValue(id, out var stored), $"acknowledged batch {id} is missing");
                Assert.Equal(count, stored);
            }

            Assert.Equal(committed.Values.Sum(), await store.TotalSessionsAsync());
            var inDoubt = sent.Keys.Where(id => !acknowledged.ContainsKey(id)).ToList();
            output.WriteLine($"acknowledged {acknowledged.Count}, committed {committed.Count}, in doubt {inDoubt.Count}");

            // The relays retry what was in doubt, and re-send some acknowledged batches too.
            using var channel = daemon.CreateChannel();
            var client = new RelayOutcomes.RelayOutcomesClient(channel);
            foreach (var id in inDoubt.Concat(acknowledged.Keys.Take(100)))
            {
                var response = await client.ReportOutcomesAsync(sent[id]);
                Assert.Equal(committed.ContainsKey(id), response.Duplicate);
            }

            var expectedTotal = sent.Values.Sum(b => b.SessionOutcomes.Sum(s => s.Count));
            Assert.Equal(expectedTotal, await store.TotalSessionsAsync());
            Assert.Equal(sent.Count, (await store.BatchesAsync()).Count);
            var expectedFailures = sent.Values.Sum(b => b.SessionOutcomes.Where(s => s.Failure is not null).Sum(s => s.Count));
            Assert.Equal(expectedFailures, (await store.CountsAsync()).Sum(r => r.FailureCount));
        }
    }
}
