using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using DnsClient;

namespace MtaStsReporting.Daemon.Tests.Support;

/// <summary>
/// A real authoritative DNS server (Debian's BIND 9, installed by ./test.sh) on a free loopback
/// port: primary for the zones a test gives, accepting RFC 2136 updates signed with a TSIG key
/// of its own, only for the <c>_mta-sts</c> TXT record of the zones listed as updatable.
/// </summary>
public sealed class BindServer : IAsyncDisposable
{
    private const string Binary = "/usr/sbin/named";

    /// <summary>The TSIG key's name.</summary>
    public const string KeyName = "mtasts-test-key";

    private readonly TempDirectory _dir;
    private readonly Process _process;
    private readonly List<string> _said;

    private BindServer(int port, Process process, TempDirectory dir, List<string> said, string keyFile, string secret)
    {
        Port = port;
        _process = process;
        _dir = dir;
        _said = said;
        KeyFile = keyFile;
        Secret = secret;
    }

    /// <summary>The port, on 127.0.0.1, for UDP and TCP.</summary>
    public int Port { get; }

    /// <summary>The key as <c>tsig-keygen</c> writes it: the file the daemon's PolicyHosting:DnsUpdate:KeyFile names.</summary>
    public string KeyFile { get; }

    /// <summary>The key's base64 secret.</summary>
    public string Secret { get; }

    /// <summary>The daemon setting that points its resolver here.</summary>
    public string ResolverArg => $"--Dns:Servers:0=127.0.0.1:{Port}";

    /// <summary>The daemon settings that send its updates here with the key.</summary>
    public string[] UpdateArgs => [$"--PolicyHosting:DnsUpdate:Server=127.0.0.1:{Port}", $"--PolicyHosting:DnsUpdate:KeyFile={KeyFile}"];

    /// <summary>What named said (its log), for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_said)
            {
                return string.Join("\n", _said);
            }
        }
    }

    /// <summary>
    /// Starts named, primary for each zone with its records (zone-file lines relative to the
    /// zone: <c>@ IN MX 10 mx</c>); the key may update <c>_mta-sts.&lt;zone&gt;</c> TXT in the
    /// zones of <paramref name="updatable"/> only: elsewhere an update is REFUSED.
    /// </summary>
    public static async Task<BindServer> StartAsync(IReadOnlyDictionary<string, string[]> zones, IReadOnlyCollection<string> updatable)
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException($"{Binary} is missing: run the tests through ./test.sh, which installs bind9.");
        }

        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        for (var attempt = 1; ; attempt++)
        {
            var port = Loopback.FreePort();
            var dir = new TempDirectory();
            var keyFile = Path.Combine(dir.Path, "tsig.key");
            await File.WriteAllTextAsync(keyFile, $"key \"{KeyName}\" {{\n\talgorithm hmac-sha256;\n\tsecret \"{secret}\";\n}};\n");
            var conf = new List<string>
            {
                $"include \"{keyFile}\";",
                $"options {{ directory \"{dir.Path}\"; listen-on port {port} {{ 127.0.0.1; }}; listen-on-v6 {{ none; }}; recursion no; dnssec-validation no;",
                $"  pid-file \"{dir.Path}/named.pid\"; session-keyfile \"{dir.Path}/session.key\"; notify no; }};",
                "controls { };",
            };
            foreach (var (zone, records) in zones)
            {
                var file = Path.Combine(dir.Path, zone + ".db");
                await File.WriteAllLinesAsync(file,
                [
                    "$TTL 60",
                    $"@ IN SOA ns.{zone}. hostmaster.{zone}. 1 3600 600 86400 60",
                    $"@ IN NS ns.{zone}.",
                    "ns IN A 127.0.0.1",
                    .. records,
                ]);
                var policy = updatable.Contains(zone)
                    ? $"update-policy {{ grant {KeyName} name _mta-sts.{zone}. TXT; }};"
                    : "allow-update { none; };";
                conf.Add($"zone \"{zone}\" {{ type primary; file \"{file}\"; {policy} }};");
            }

            var confFile = Path.Combine(dir.Path, "named.conf");
            await File.WriteAllLinesAsync(confFile, conf);
            var start = new ProcessStartInfo(Binary) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var arg in new[] { "-g", "-4", "-c", confFile })
            {
                start.ArgumentList.Add(arg);
            }

            var said = new List<string>();
            var process = Process.Start(start)!;
            void Keep(object _, DataReceivedEventArgs e)
            {
                if (e.Data is not null)
                {
                    lock (said)
                    {
                        said.Add(e.Data);
                    }
                }
            }

            process.ErrorDataReceived += Keep;
            process.OutputDataReceived += Keep;
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
            var server = new BindServer(port, process, dir, said, keyFile, secret);
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!process.HasExited && DateTime.UtcNow < deadline)
            {
                bool running;
                lock (said)
                {
                    running = said.Any(l => l.EndsWith(" running", StringComparison.Ordinal));
                }

                if (running && await Loopback.WaitForListenerAsync(port, TimeSpan.FromMilliseconds(200)))
                {
                    return server;
                }

                await Task.Delay(50);
            }

            // Exited by itself: most likely the port was taken in between. Otherwise, say what it said.
            var exited = process.HasExited;
            var log = server.Log;
            await server.DisposeAsync();
            if (!exited || attempt == 5 || !log.Contains("address in use", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException("named did not start: " + log);
            }
        }
    }

    /// <summary>The TXT strings at <paramref name="name"/>, asked of this server directly (no cache).</summary>
    public async Task<IReadOnlyList<string>> TxtAsync(string name)
    {
        var client = new LookupClient(new LookupClientOptions(new IPEndPoint(IPAddress.Loopback, Port)) { UseCache = false, Recursion = false });
        var response = await client.QueryAsync(name, QueryType.TXT);
        return [.. response.Answers.TxtRecords().Select(t => string.Concat(t.Text))];
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
