using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Microsoft.EntityFrameworkCore;
using MtaStsReporting.Persistence.Store;
using MtaStsReporting.Testing;

namespace MtaStsReporting.Bench;

/// <summary>
/// The libtlsrpt collector under an MTA's load. Sender threads send libtlsrpt-shaped datagrams
/// (1,000 domains, 30% failures with details) without ever waiting, as libtlsrpt does
/// (non-blocking sends; what the kernel refuses is counted, not retried). Three runs, side by
/// side: what the bare socket carries to a receiver that only counts; the daemon flat out; the
/// daemon at a steady rate; and a forwarder at that rate, sending to a central daemon (memory is
/// then the forwarder's). "Committed" is read back from the store after the last commit;
/// "lost" is sent minus committed, wherever it was lost (kernel queue or daemon).
/// </summary>
internal static class DatagramBenchmark
{
    private const string QueueLengthFile = "/proc/sys/net/unix/max_dgram_qlen";
    private const int ProcessesPerSender = 25;

    public sealed record Figures(string Run, long Attempted, long Accepted, long Committed, double Seconds, double PeakMemoryMb)
    {
        public double CommittedPerSecond => Committed / Seconds;

        public long Lost => Attempted - Committed;

        public override string ToString() =>
            $"{Run,-22} sent {Attempted / Seconds,9:N0}/s  kernel took {Accepted / Seconds,9:N0}/s  counted {CommittedPerSecond,9:N0}/s  " +
            $"lost {Lost,9:N0} ({100.0 * Lost / Math.Max(1, Attempted):0.###}%)" + (PeakMemoryMb > 0 ? $"  daemon peak {PeakMemoryMb:N0} MB" : string.Empty);
    }

    public static async Task RunAsync(string daemonDll, int seconds, int rounds, int senders, int steadyRate, int? queueLength, string store)
    {
        _ = daemonDll;
        var before = File.Exists(QueueLengthFile) ? File.ReadAllText(QueueLengthFile).Trim() : "?";
        if (queueLength is { } q)
        {
            File.WriteAllText(QueueLengthFile, q.ToString(CultureInfo.InvariantCulture));
        }

        try
        {
            Console.WriteLine($"net.unix.max_dgram_qlen {File.ReadAllText(QueueLengthFile).Trim()} (was {before}), {senders} sender threads of {ProcessesPerSender} sockets each (MTA processes), {seconds} s per run, {Environment.ProcessorCount} cores, store {store}");
            var datagrams = Datagrams();
            Console.WriteLine($"datagram size: {datagrams.Average(d => d.Length):N0} bytes on average");
            var all = new List<Figures>();
            for (var round = 1; round <= rounds; round++)
            {
                foreach (var figures in new[]
                {
                    await BareSocketAsync(datagrams, seconds, senders),
                    await DaemonAsync("daemon, flat out", datagrams, seconds, senders, 0, store),
                    await DaemonAsync($"daemon at {steadyRate:N0}/s", datagrams, seconds, senders, steadyRate, store),
                    await DaemonAsync($"forwarder at {steadyRate:N0}/s", datagrams, seconds, senders, steadyRate, store, viaForwarder: true),
                })
                {
                    Console.WriteLine($"round {round} {figures}");
                    all.Add(figures);
                }
            }

            Console.WriteLine();
            Console.WriteLine($"median of {rounds} rounds:");
            foreach (var run in all.GroupBy(f => f.Run))
            {
                Console.WriteLine($"  {run.Key,-22} counted {Stats.Median(run.Select(f => f.CommittedPerSecond)),9:N0}/s  sent {Stats.Median(run.Select(f => f.Attempted / f.Seconds)),9:N0}/s  " +
                    $"lost {Stats.Median(run.Select(f => (double)f.Lost)),9:N0} ({Stats.Median(run.Select(f => 100.0 * f.Lost / Math.Max(1, f.Attempted))):0.###}%)  " +
                    $"daemon peak {Stats.Median(run.Select(f => f.PeakMemoryMb)):N0} MB");
            }
        }
        finally
        {
            if (queueLength is not null && before != "?")
            {
                File.WriteAllText(QueueLengthFile, before);
            }
        }
    }

    /// <summary>1,000 domains, each with a success and three failures, sent so that 30% are failures.</summary>
    private static byte[][] Datagrams()
    {
        var list = new List<byte[]>();
        for (var d = 0; d < 1000; d++)
        {
            var domain = $"domain{d}.example";
            var record = $"v=TLSRPTv1; rua=mailto:tlsrpt@{domain}";
            var ok = LibTlsRptDatagrams.Write(domain, record, LibTlsRptDatagrams.Sts(domain));
            byte[] Failed(int code, int mx) => LibTlsRptDatagrams.Write(domain, record, LibTlsRptDatagrams.Sts(domain, true,
                new LibTlsRptFailure(code, "192.0.2.1", $"mx{mx}.{domain}", $"mx{mx}.{domain}", $"198.51.100.{mx}", ReasonCode: "certificate verify failed")));
            // Ten per domain: seven successes, three failures.
            list.AddRange([ok, ok, ok, ok, ok, ok, ok, Failed(204, 1), Failed(202, 2), Failed(201, 1)]);
        }

        // Interleave the domains, as a relay's deliveries are.
        return [.. list.Select((b, i) => (b, Key: (i % 10) * 1000 + i / 10)).OrderBy(x => x.Key).Select(x => x.b)];
    }

    private static async Task<Figures> BareSocketAsync(byte[][] datagrams, int seconds, int senders)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("mtasts-bench-bare-").FullName, "bare.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        socket.ReceiveBufferSize = 32 * 1024 * 1024;
        socket.ReceiveTimeout = 200;
        long received = 0;
        var stop = false;
        var receiver = new Thread(() =>
        {
            var buffer = new byte[256 * 1024];
            while (!Volatile.Read(ref stop))
            {
                if (socket.Receive(buffer, SocketFlags.None, out var error) > 0 && error == SocketError.Success)
                {
                    received++;
                }
            }
        }) { IsBackground = true };
        receiver.Start();
        var (attempted, accepted, elapsed) = await SendAsync(path, datagrams, seconds, senders, 0);
        await Task.Delay(300);
        Volatile.Write(ref stop, true);
        receiver.Join();
        File.Delete(path);
        return new Figures("bare socket, flat out", attempted, accepted, received, elapsed, 0);
    }

    /// <summary>
    /// The daemon reading the socket itself, or (<paramref name="viaForwarder"/>) a forwarder
    /// reading it and sending to a central daemon on loopback, as on a relay host of a fleet.
    /// </summary>
    private static async Task<Figures> DaemonAsync(string run, byte[][] datagrams, int seconds, int senders, int rate, string store, bool viaForwarder = false)
    {
        var data = Directory.CreateTempSubdirectory("mtasts-bench-dgram-").FullName;
        var path = Path.Combine(data, "tlsrpt.sock");
        var (storeArgs, storeSettings) = await BenchStore.FreshAsync(store);
        var settings = storeSettings ?? StoreSettings.SqliteFile(Path.Combine(data, "mtasts-reporting.db"));
        await using var daemon = await Daemon.StartAsync(null, data, viaForwarder ? storeArgs : [$"--Collector:Socket={path}", .. storeArgs]);
        await using var forwarder = viaForwarder
            ? await Daemon.StartCommandAsync("forward", "--socket", path, "--to", daemon.Url, "--spool", Path.Combine(data, "spool"), "--listen", "http://127.0.0.1:0")
            : null;
        // Warm-up at the same load, then the store's counters are the zero line.
        await SendAsync(path, datagrams, 3, senders, rate);
        await Task.Delay(2500);
        var zero = await CountedAsync(settings);
        var (attempted, accepted, elapsed) = await SendAsync(path, datagrams, seconds, senders, rate);
        // The last commit comes within Collector:CommitInterval (1 s) of the last datagram.
        long committed;
        var last = -1L;
        while ((committed = await CountedAsync(settings) - zero) != last)
        {
            last = committed;
            await Task.Delay(1500);
        }

        return new Figures(run, attempted, accepted, committed, elapsed, (forwarder ?? daemon).PeakMemoryBytes() / 1024.0 / 1024.0);
    }

    private static async Task<long> CountedAsync(StoreSettings settings)
    {
        await using var store = new ReportingStore(settings, TimeProvider.System);
        await using var db = store.CreateContext();
        return await db.DailyPolicyCounts.SumAsync(r => r.SuccessCount + r.FailureCount);
    }

    /// <summary>Sends for <paramref name="seconds"/>, flat out (rate 0) or paced to <paramref name="rate"/> in all; never waits on the socket.</summary>
    private static async Task<(long Attempted, long Accepted, double Seconds)> SendAsync(string path, byte[][] datagrams, int seconds, int senders, int rate)
    {
        var clock = Stopwatch.StartNew();
        var until = TimeSpan.FromSeconds(seconds);
        var threads = Enumerable.Range(0, senders).Select(s => Task.Factory.StartNew(() =>
        {
            // Each sender thread stands for many MTA delivery processes, each with its own socket
            // (Postfix runs up to default_process_limit = 100 smtp processes). It matters: Linux
            // charges a datagram to its sender's buffer until it is read, so one socket alone
            // could hold only a few hundred in flight.
            var sockets = Enumerable.Range(0, ProcessesPerSender).Select(_ =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
                socket.Connect(new UnixDomainSocketEndPoint(path));
                socket.Blocking = false;
                return socket;
            }).ToArray();
            long attempted = 0, accepted = 0;
            var perMs = rate / (double)senders / 1000;
            var i = s * 7919;
            while (true)
            {
                var now = clock.Elapsed;
                if (now >= until)
                {
                    break;
                }

                var due = rate == 0 ? attempted + 64 : (long)(now.TotalMilliseconds * perMs);
                if (attempted >= due)
                {
                    Thread.Sleep(1);
                    continue;
                }

                while (attempted < due)
                {
                    sockets[i % sockets.Length].Send(datagrams[i++ % datagrams.Length], SocketFlags.None, out var error);
                    attempted++;
                    if (error == SocketError.Success)
                    {
                        accepted++;
                    }
                }
            }

            foreach (var socket in sockets)
            {
                socket.Dispose();
            }

            return (attempted, accepted);
        }, TaskCreationOptions.LongRunning)).ToArray();
        var results = await Task.WhenAll(threads);
        return (results.Sum(r => r.attempted), results.Sum(r => r.accepted), clock.Elapsed.TotalSeconds);
    }
}
