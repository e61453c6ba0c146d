// Relay ingestion benchmark: starts the daemon as a separate process on loopback (default
// settings: SQLite, WAL, fsync on every commit) and drives it from this process.
//
//   dotnet run -c Release --project bench/MtaStsReporting.Bench -- [--seconds 10] [--streams 4]
//       [--unary-concurrency 64] [--unary-batch 10] [--rounds 3] [--scenarios stream,unary]
//       [--relays 4] (connections) [--warmup 3] (seconds of load before measuring)
//       [--url http://127.0.0.1:PORT]   (drive a daemon already running, e.g. under a profiler)
//   dotnet run -c Release --project bench/MtaStsReporting.Bench -- --scenarios import [--files 4000] [--rounds 3]
//       (report import: the daemon's own `import` command on a generated folder;
//        with --out DIR it only writes the folder, to profile an import by hand)
//   dotnet run -c Release --project bench/MtaStsReporting.Bench -- --scenarios limits [--seconds 10] [--rounds 3]
//       (a polite relay's latency alone, then beside a greedy one far over Limits:CallsPerSecondPerCaller)
//   dotnet run -c Release --project bench/MtaStsReporting.Bench -- --scenarios query [--domains 1000] [--days 400] [--rounds 3] [--out DIR]
//       (query latency on a store loaded with the daemon's write code; --out keeps and reuses the SQLite store)
//   dotnet run -c Release --project bench/MtaStsReporting.Bench -- --scenarios datagram [--seconds 10] [--rounds 3] [--senders 2]
//       [--rate 100000] [--qlen 65536]
//       (the libtlsrpt collector: the bare socket, the daemon flat out, and the daemon at --rate datagrams/s, side by side;
//        --qlen sets net.unix.max_dgram_qlen for the run and restores it after; needs root)
//   dotnet run -c Release --project bench/MtaStsReporting.Bench -- --scenarios outbound [--domains 100000] [--rounds 3] [--parallel 16]
//       (the outbound reports of one day: built and stored for every domain, then POSTed to a local HTTPS sink)
//   --store sqlite|postgresql  (every scenario but limits: the store measured; PostgreSQL is a cluster the bench
//       starts from Debian's packages, default durability) and, for stream and unary, --instances N (daemons on one
//       PostgreSQL database, the relay connections spread over them)
//
// Prints outcomes/s, calls/s, latency p50/p99 and the daemon's peak memory (VmHWM) for each
// scenario and round, then the median over rounds.
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Google.Protobuf.WellKnownTypes;
using Grpc.Net.Client;
using MtaStsReporting.Api.V1;
using static MtaStsReporting.Bench.Stats;

var settings = Settings.Parse(args);
if (settings.Scenarios is ["query"])
{
    await MtaStsReporting.Bench.QueryBenchmark.RunAsync(Daemon.DaemonDll(), settings.Domains, settings.Days, settings.Rounds, settings.Output, settings.Store);
    return;
}

if (settings.Scenarios is ["datagram"])
{
    await MtaStsReporting.Bench.DatagramBenchmark.RunAsync(Daemon.DaemonDll(), settings.Seconds, settings.Rounds, settings.Senders, settings.Rate, settings.QueueLength, settings.Store);
    return;
}

if (settings.Scenarios is ["outbound"])
{
    await MtaStsReporting.Bench.OutboundBenchmark.RunAsync(settings.Domains == 1000 && !args.Contains("--domains") ? 100_000 : settings.Domains, settings.Rounds, settings.Parallel, settings.Store);
    return;
}

if (settings.Scenarios is ["limits"])
{
    await MtaStsReporting.Bench.LimitsBenchmark.RunAsync(settings.Seconds, settings.Rounds);
    return;
}

if (settings.Scenarios is ["import"] && settings.Output is not null)
{
    Directory.CreateDirectory(settings.Output);
    MtaStsReporting.Bench.ImportBenchmark.Generate(settings.Output, settings.Files);
    Console.WriteLine($"wrote {settings.Files} files to {settings.Output}");
    return;
}

if (settings.Scenarios is ["import"])
{
    var figures = new List<MtaStsReporting.Bench.ImportBenchmark.Figures>();
    for (var round = 1; round <= settings.Rounds; round++)
    {
        var f = await MtaStsReporting.Bench.ImportBenchmark.RunAsync(Daemon.DaemonDll(), settings.Files, (await MtaStsReporting.Bench.BenchStore.FreshAsync(settings.Store)).Args);
        figures.Add(f);
        Console.WriteLine($"round {round} {f}");
    }

    Console.WriteLine($"median of {settings.Rounds} rounds ({Environment.ProcessorCount} cores): " +
        $"{Median(figures.Select(f => f.Files / f.ProcessingSeconds)):N0} files/s while importing, " +
        $"{Median(figures.Select(f => f.Files / f.Seconds)):N0} files/s with process start, peak {Median(figures.Select(f => f.PeakMemoryMb)):N0} MB");
    return;
}

var results = new List<Result>();
for (var round = 1; round <= settings.Rounds; round++)
{
    foreach (var scenario in settings.Scenarios)
    {
        // A fresh database and daemon(s) per run, so that runs do not feed on each other's caches.
        var (storeArgs, _) = await MtaStsReporting.Bench.BenchStore.FreshAsync(settings.Store);
        var daemons = new List<Daemon>();
        for (var i = 0; i < settings.Instances; i++)
        {
            daemons.Add(await Daemon.StartAsync(settings.Url, null, storeArgs));
        }

        await using var stop = new AsyncDisposables(daemons);
        // Several relays, each with its own connection, as a fleet would be; with several
        // instances, the connections are spread over them as a load balancer would.
        var channels = Enumerable.Range(0, settings.Relays).Select(i => GrpcChannel.ForAddress(daemons[i % daemons.Count].Url, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
            MaxSendMessageSize = 16 * 1024 * 1024,
        })).ToArray();
        var clients = channels.Select(c => new RelayOutcomes.RelayOutcomesClient(c)).ToArray();

        // Warm-up, not measured: a daemon runs for weeks, so what counts is its steady state
        // after the JIT has compiled the hot paths with their final tier.
        _ = scenario == "stream"
            ? await Scenarios.StreamAsync(clients, settings with { Seconds = settings.WarmupSeconds })
            : await Scenarios.UnaryAsync(clients, settings with { Seconds = settings.WarmupSeconds });
        var daemonCpuBefore = daemons.Sum(d => d.CpuTime().TotalSeconds);
        var clientCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var result = scenario == "stream"
            ? await Scenarios.StreamAsync(clients, settings)
            : await Scenarios.UnaryAsync(clients, settings);
        result = result with
        {
            Round = round,
            PeakMemoryMb = daemons.Max(d => d.PeakMemoryBytes()) / 1024.0 / 1024.0,
            DaemonCpuSeconds = daemons.Sum(d => d.CpuTime().TotalSeconds) - daemonCpuBefore,
            ClientCpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - clientCpuBefore).TotalSeconds,
        };
        results.Add(result);
        Console.WriteLine(result);
        foreach (var c in channels)
        {
            c.Dispose();
        }
    }
}

Console.WriteLine();
Console.WriteLine($"median of {settings.Rounds} rounds, each figure on its own ({Environment.ProcessorCount} cores, {settings.Seconds} s per run, " +
    $"store {settings.Store}, {settings.Instances} instance(s); peak memory is the largest instance's):");
foreach (var group in results.GroupBy(r => r.Scenario))
{
    Console.WriteLine(
        $"  {group.Key,-6} {Median(group.Select(r => r.OutcomesPerSecond)),10:N0} outcomes/s {Median(group.Select(r => r.CallsPerSecond)),9:N0} calls/s" +
        $"  p50 {Median(group.Select(r => r.P50Ms)),7:N2} ms  p99 {Median(group.Select(r => r.P99Ms)),7:N2} ms  daemon peak {Median(group.Select(r => r.PeakMemoryMb)),5:N0} MB");
}

internal sealed record Settings(int Seconds, int WarmupSeconds, int Relays, int Streams, int UnaryConcurrency, int UnaryBatch, int Rounds, string? Url, string[] Scenarios, int Files, string? Output, int Domains, int Days,
    string Store, int Instances, int Senders = 2, int Rate = 100_000, int? QueueLength = null, int Parallel = 16)
{
    public static Settings Parse(string[] args)
    {
        int Get(string name, int fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        }

        string? GetText(string name)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }

        return new Settings(Get("--seconds", 10), Get("--warmup", 3), Get("--relays", 4), Get("--streams", 4), Get("--unary-concurrency", 64), Get("--unary-batch", 10), Get("--rounds", 3),
            GetText("--url"), (GetText("--scenarios") ?? "stream,unary").Split(','), Get("--files", 4000), GetText("--out"), Get("--domains", 1000), Get("--days", 400),
            GetText("--store") ?? "sqlite", Get("--instances", 1), Get("--senders", 2), Get("--rate", 100_000),
            GetText("--qlen") is { } qlen ? int.Parse(qlen, CultureInfo.InvariantCulture) : null, Get("--parallel", 16));
    }
}

internal sealed record Result(string Scenario, double OutcomesPerSecond, double CallsPerSecond, double P50Ms, double P99Ms)
{
    public int Round { get; init; }

    public double PeakMemoryMb { get; init; }

    /// <summary>CPU the daemon used during the run; with the client's, shows where the two cores went.</summary>
    public double DaemonCpuSeconds { get; init; }

    public double ClientCpuSeconds { get; init; }

    public override string ToString() =>
        $"round {Round} {Scenario,-6} {OutcomesPerSecond,10:N0} outcomes/s {CallsPerSecond,9:N0} calls/s  p50 {P50Ms,7:N2} ms  p99 {P99Ms,7:N2} ms  daemon peak {PeakMemoryMb,5:N0} MB  cpu daemon {DaemonCpuSeconds:N1} s client {ClientCpuSeconds:N1} s";
}

internal static class Scenarios
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    /// <summary>
    /// Relays on long-lived streams, one outcome per message. Each stream is one batch; a relay
    /// rolls to a new stream every <c>perStream</c> outcomes, and the commit of the old one is the
    /// latency measured.
    /// </summary>
    public static async Task<Result> StreamAsync(RelayOutcomes.RelayOutcomesClient[] clients, Settings settings)
    {
        const int perStream = 100_000;
        var pool = OutcomePool(4096);
        var latencies = new List<double>();
        long outcomes = 0;
        var calls = 0;
        var deadline = Stopwatch.StartNew();
        var round = Guid.NewGuid().ToString("N")[..8];
        var tasks = Enumerable.Range(0, settings.Streams).Select(s => Task.Run(async () =>
        {
            var client = clients[s % clients.Length];
            var n = 0;
            while (deadline.Elapsed.TotalSeconds < settings.Seconds)
            {
                using var call = client.StreamOutcomes();
                for (var i = 0; i < perStream; i++)
                {
                    var message = new OutcomeBatch { BatchId = i == 0 ? $"s{round}-{s}-{n}" : string.Empty };
                    message.SessionOutcomes.Add(pool[(i + s) % pool.Length]);
                    await call.RequestStream.WriteAsync(message);
                }

                var started = Stopwatch.GetTimestamp();
                await call.RequestStream.CompleteAsync();
                var response = await call.ResponseAsync;
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                lock (latencies)
                {
                    latencies.Add(elapsed);
                    outcomes += perStream;
                    calls++;
                }

                n++;
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        var seconds = deadline.Elapsed.TotalSeconds;
        return Summarise("stream", outcomes, calls, seconds, latencies);
    }

    /// <summary>Many relays calling at once, each call a small batch, each acknowledged only once durable.</summary>
    public static async Task<Result> UnaryAsync(RelayOutcomes.RelayOutcomesClient[] clients, Settings settings)
    {
        var pool = OutcomePool(4096);
        var latencies = new List<double>();
        long outcomes = 0;
        var calls = 0;
        var deadline = Stopwatch.StartNew();
        var round = Guid.NewGuid().ToString("N")[..8];
        var tasks = Enumerable.Range(0, settings.UnaryConcurrency).Select(w => Task.Run(async () =>
        {
            var client = clients[w % clients.Length];
            var mine = new List<double>();
            for (var n = 0; deadline.Elapsed.TotalSeconds < settings.Seconds; n++)
            {
                var batch = new OutcomeBatch { BatchId = $"u{round}-{w}-{n}" };
                for (var i = 0; i < settings.UnaryBatch; i++)
                {
                    batch.SessionOutcomes.Add(pool[(n * settings.UnaryBatch + i + w) % pool.Length]);
                }

                var started = Stopwatch.GetTimestamp();
                await client.ReportOutcomesAsync(batch);
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            lock (latencies)
            {
                latencies.AddRange(mine);
                calls += mine.Count;
                outcomes += (long)mine.Count * settings.UnaryBatch;
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        return Summarise("unary", outcomes, calls, deadline.Elapsed.TotalSeconds, latencies);
    }

    private static Result Summarise(string scenario, long outcomes, int calls, double seconds, List<double> latencies)
    {
        latencies.Sort();
        return new Result(scenario, outcomes / seconds, calls / seconds, Quantile(latencies, 0.50), Quantile(latencies, 0.99));
    }

    /// <summary>
    /// A realistic mix: 1,000 recipient domains, a few policies, 5% failures spread over result
    /// types, sending IPs and MX hosts.
    /// </summary>
    private static SessionOutcome[] OutcomePool(int size)
    {
        var random = new Random(8460);
        ResultType[] failureTypes = [ResultType.CertificateExpired, ResultType.CertificateHostMismatch, ResultType.StarttlsNotSupported, ResultType.ValidationFailure];
        return Enumerable.Range(0, size).Select(i =>
        {
            var domain = $"d{random.Next(1000)}.example";
            var outcome = new SessionOutcome
            {
                PolicyDomain = domain,
                Time = Timestamp.FromDateTimeOffset(Now.AddMinutes(-random.Next(600))),
                Count = 1,
                Policy = new AppliedPolicy
                {
                    PolicyType = PolicyType.Sts,
                    PolicyString = { "version: STSv1", i % 3 == 0 ? "mode: enforce" : "mode: testing", $"mx: mx.{domain}", "max_age: 604800" },
                    MxHost = { $"mx.{domain}" },
                },
            };
            if (random.Next(100) < 5)
            {
                outcome.Failure = new FailureDetail
                {
                    ResultType = failureTypes[random.Next(failureTypes.Length)],
                    SendingMtaIp = $"198.51.100.{random.Next(8)}",
                    ReceivingMxHostname = $"mx.{domain}",
                    ReceivingIp = $"192.0.2.{random.Next(250)}",
                };
            }

            return outcome;
        }).ToArray();
    }
}

/// <summary>Daemons stopped together at the end of a run.</summary>
internal sealed class AsyncDisposables(IEnumerable<IAsyncDisposable> items) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        foreach (var item in items)
        {
            await item.DisposeAsync();
        }
    }
}

/// <summary>The daemon's own process, in a temporary working directory, with default settings.</summary>
internal sealed partial class Daemon : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string? _directory;

    private Daemon(Process process, string? directory, string url)
    {
        _process = process;
        _directory = directory;
        Url = url;
    }

    public string Url { get; }

    /// <summary>Starts a daemon, or with <paramref name="url"/> uses one already running (for profiling it).</summary>
    public static async Task<Daemon> StartAsync(string? url, string? dataDirectory, params string[] extraArgs)
    {
        if (url is not null)
        {
            var port = new Uri(url).Port;
            var pid = Process.GetProcesses().First(p => p.ProcessName == "dotnet" && File.ReadAllText($"/proc/{p.Id}/cmdline").Contains($":{port}", StringComparison.Ordinal));
            return new Daemon(pid, null, url);
        }

        string[] args = ["--urls", "http://127.0.0.1:0", "--HttpApi:Url=http://127.0.0.1:0", .. dataDirectory is null ? Array.Empty<string>() : [$"--Storage:DataDirectory={dataDirectory}"], .. extraArgs];
        return await StartCommandAsync(args);
    }

    /// <summary>Starts the executable with exactly these arguments (another command, such as forward) and waits for its first listener.</summary>
    public static async Task<Daemon> StartCommandAsync(params string[] args)
    {
        var directory = Directory.CreateTempSubdirectory("mtasts-bench-").FullName;
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(DaemonDll());
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null && ListeningLine().Match(e.Data) is { Success: true } m)
            {
                listening.TrySetResult(m.Groups[1].Value);
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine("daemon: " + e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new Daemon(process, directory, await listening.Task.WaitAsync(TimeSpan.FromSeconds(60)));
    }

    public long PeakMemoryBytes()
    {
        var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>User + system CPU time of the daemon so far.</summary>
    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    public async ValueTask DisposeAsync()
    {
        if (_directory is null)
        {
            return; // not ours to stop
        }

        _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    public static string DaemonDll()
    {
        // bench/MtaStsReporting.Bench/bin/<Configuration>/net10.0 → src/MtaStsReporting.Daemon/bin/<Configuration>/net10.0
        var here = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = here.Parent!.Name;
        var root = here.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var dll = Path.Combine(root, "src", "MtaStsReporting.Daemon", "bin", configuration, "net10.0", "mtasts-reporting.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("The daemon was not built.", dll);
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningLine();
}
