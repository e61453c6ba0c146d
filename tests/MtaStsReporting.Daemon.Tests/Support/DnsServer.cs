using System.Diagnostics;

namespace MtaStsReporting.Daemon.Tests.Support;

/// <summary>
/// A real DNS server (Debian's dnsmasq, installed by ./test.sh) on a free loopback port,
/// authoritative for nothing but the records a test gives it.
/// </summary>
public sealed class DnsServer : IAsyncDisposable
{
    private const string Binary = "/usr/sbin/dnsmasq";
    private readonly TempDirectory _dir;
    private readonly Process _process;

    private DnsServer(int port, Process process, TempDirectory dir)
    {
        Port = port;
        _process = process;
        _dir = dir;
    }

    public int Port { get; }

    /// <summary>The daemon setting that points its resolver here.</summary>
    public string ServerArg => $"--Dns:Servers:0=127.0.0.1:{Port}";

    /// <summary>
    /// Starts dnsmasq serving TXT records (long values are split into 255-octet strings) and any
    /// other dnsmasq lines (<c>mx-host=</c>, <c>host-record=</c>, …).
    /// </summary>
    public static async Task<DnsServer> StartAsync(IReadOnlyDictionary<string, string> txtRecords, IEnumerable<string>? otherLines = null)
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException($"{Binary} is missing: run the tests through ./test.sh, which installs dnsmasq-base.");
        }

        // The port is picked free and then bound by dnsmasq; a test running beside this one can
        // take it in between, and dnsmasq then exits at once ("Address already in use"): pick another.
        var said = new List<string>();
        for (var attempt = 1; ; attempt++)
        {
            var port = Loopback.FreePort();
            var dir = new TempDirectory();
            var lines = new List<string>
            {
                "no-resolv", "no-hosts", "bind-interfaces", "listen-address=127.0.0.1", $"port={port}", "user=root", "log-facility=-",
            };
            foreach (var (name, value) in txtRecords)
            {
                var chunks = Enumerable.Range(0, (value.Length + 254) / 255).Select(i => "\"" + value.Substring(i * 255, Math.Min(255, value.Length - (i * 255))) + "\"");
                lines.Add($"txt-record={name},{string.Join(',', chunks)}");
            }

            lines.AddRange(otherLines ?? []);
            var conf = Path.Combine(dir.Path, "dnsmasq.conf");
            await File.WriteAllLinesAsync(conf, lines);
            var start = new ProcessStartInfo(Binary) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            start.ArgumentList.Add("--keep-in-foreground");
            start.ArgumentList.Add("--conf-file=" + conf);
            var process = Process.Start(start)!;
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    lock (said)
                    {
                        said.Add(e.Data);
                    }
                }
            };
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
            var server = new DnsServer(port, process, dir);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!process.HasExited && DateTime.UtcNow < deadline)
            {
                if (await Loopback.WaitForListenerAsync(port, TimeSpan.FromMilliseconds(200)))
                {
                    return server;
                }
            }

            // Exited by itself: the port was taken. Still running after the wait: something else is wrong.
            var exited = process.HasExited;
            await server.DisposeAsync();
            if (!exited || attempt == 5)
            {
                lock (said)
                {
                    throw new InvalidOperationException("dnsmasq did not start: " + string.Join(" | ", said));
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _dir.Dispose();
    }

}
