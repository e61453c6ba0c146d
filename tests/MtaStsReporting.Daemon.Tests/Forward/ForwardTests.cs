using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Tests.Support;
using MtaStsReporting.Testing;

namespace MtaStsReporting.Daemon.Tests.Forward;

/// <summary>
/// The forwarder end to end: a relay host's forwarder process reading libtlsrpt datagrams and
/// a central daemon process, stopped for a while, the forwarder itself killed, batches sent
/// twice: every datagram counted once.
/// </summary>
public sealed class ForwardTests
{
    private static readonly byte[] Failed = LibTlsRptDatagrams.Write("example.com", "v=TLSRPTv1; rua=mailto:tlsrpt@example.com",
        LibTlsRptDatagrams.Sts("example.com", true, new LibTlsRptFailure(204, "192.0.2.1", "mx1.example.com")));

    private static long Spooled(string spool) => Directory.GetFiles(spool, "*.batch")
        .Sum(f => OutcomeBatch.Parser.ParseFrom(File.ReadAllBytes(f)).DailyCounts.Sum(d => d.Successes + d.Failures));

    [Fact]
    public async Task Every_datagram_is_counted_once_across_a_central_outage_a_killed_forwarder_and_batches_sent_twice()
    {
        using var central = new TempDirectory();
        using var relay = new TempDirectory();
        var socket = Path.Combine(relay.Path, "tlsrpt.sock");
        var spool = Path.Combine(relay.Path, "spool");
        var store = new StoreReader(Path.Combine(central.Path, "mtasts-reporting.db"));
        var port = Loopback.FreePort();
        // The central daemon on a fixed port, so that it comes back where the forwarder sends.
        string[] centralArgs = ["--urls", $"http://127.0.0.1:{port}", "--HttpApi:Url=", $"--Storage:DataDirectory={central.Path}"];
        string[] forwardArgs = ["forward", "--socket", socket, "--to", $"http://127.0.0.1:{port}", "--spool", spool, "--listen", "http://127.0.0.1:0",
            "--Collector:CommitInterval=100ms", "--Forward:MinRetryDelay=100ms", "--Forward:MaxRetryDelay=300ms"];

        var daemon = await DaemonProcess.StartCommandAsync(central.Path, centralArgs);
        var forwarder = await DaemonProcess.StartCommandAsync(relay.Path, forwardArgs);
        using (var sender = new DatagramSender(socket))
        {
            sender.Send(Failed, 100);
        }

        Assert.Equal(100, await DatagramSender.WaitForAsync(store.TotalSessionsAsync, n => n >= 100));

        // The central daemon stops: counts go to the spool.
        Assert.Equal(0, await daemon.TerminateAsync());
        await daemon.DisposeAsync();
        using (var sender = new DatagramSender(socket))
        {
            sender.Send(Failed, 150);
        }

        Assert.Equal(150, await DatagramSender.WaitForAsync(() => Task.FromResult(Spooled(spool)), n => n >= 150));
        using (var http = new HttpClient())
        {
            var health = await http.GetStringAsync(forwarder.Url + "/healthz");
            Assert.Equal("Degraded", health);
        }

        // The forwarder is killed with batches spooled; a copy of them is kept to send twice.
        var outage = forwarder.Output;
        await forwarder.KillAsync();
        await forwarder.DisposeAsync();
        var copies = Directory.CreateTempSubdirectory("mtasts-spool-copy-").FullName;
        foreach (var file in Directory.GetFiles(spool, "*.batch"))
        {
            File.Copy(file, Path.Combine(copies, Path.GetFileName(file)));
        }

        daemon = await DaemonProcess.StartCommandAsync(central.Path, centralArgs);
        forwarder = await DaemonProcess.StartCommandAsync(relay.Path, forwardArgs);
        Assert.Equal(250, await DatagramSender.WaitForAsync(store.TotalSessionsAsync, n => n >= 250));
        await DatagramSender.WaitForAsync(() => Task.FromResult(Directory.GetFiles(spool, "*.batch").Length), n => n == 0);
        Assert.Equal(0, await forwarder.TerminateAsync());
        await forwarder.DisposeAsync();

        // The same batches again (a forwarder that died before it could delete them): counted once.
        foreach (var file in Directory.GetFiles(copies))
        {
            File.Copy(file, Path.Combine(spool, Path.GetFileName(file)));
        }

        forwarder = await DaemonProcess.StartCommandAsync(relay.Path, forwardArgs);
        await DatagramSender.WaitForAsync(() => Task.FromResult(Directory.GetFiles(spool, "*.batch").Length), n => n == 0);
        using (var http = new HttpClient())
        {
            var metrics = await http.GetStringAsync(forwarder.Url + "/metrics");
            Assert.Matches("mtasts_forward_batches_total\\{[^}]*result=\"duplicate\"[^}]*\\} [1-9]", metrics);
        }

        Assert.Equal(0, await forwarder.TerminateAsync());
        await forwarder.DisposeAsync();
        Assert.Equal(0, await daemon.TerminateAsync());
        await daemon.DisposeAsync();

        Assert.Equal(250, await store.TotalSessionsAsync());
        Assert.Equal(250, Assert.Single(await store.FailuresAsync("example.com")).FailedSessionCount);
        Assert.Contains($"The central daemon at http://127.0.0.1:{port} cannot take batches", outage, StringComparison.Ordinal);
        Directory.Delete(copies, recursive: true);
    }

    [Theory]
    [InlineData(new[] { "forward", "--to", "http://127.0.0.1:1" }, 2, "mtasts-reporting forward: Option '--socket' is required.")]
    [InlineData(new[] { "forward", "--socket", "/tmp/x.sock", "--to", "http://127.0.0.1:1", "extra" }, 2, "mtasts-reporting forward: unexpected argument 'extra' (see mtasts-reporting forward --help)")]
    [InlineData(new[] { "forward", "--socket", "/tmp/x.sock", "--to", "ftp://x" }, 2, "mtasts-reporting forward: configuration error: --to (Forward:To) must be")]
    [InlineData(new[] { "forward", "--socket", "/tmp/x.sock", "--to", "http://127.0.0.1:1", "--key-file", "/nonexistent/key" }, 2, "mtasts-reporting forward: the key file cannot be read:")]
    public async Task Mistakes_are_one_line(string[] args, int exitCode, string line)
    {
        using var dir = new TempDirectory();
        var (code, output) = await DaemonProcess.RunToExitAsync(dir.Path, args);

        Assert.Equal(exitCode, code);
        Assert.StartsWith(line, Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public async Task A_busy_listen_port_is_one_line()
    {
        using var dir = new TempDirectory();
        using var busy = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        busy.Start();
        var port = ((System.Net.IPEndPoint)busy.LocalEndpoint).Port;

        var (code, output) = await DaemonProcess.RunToExitAsync(dir.Path, "forward", "--socket", Path.Combine(dir.Path, "t.sock"), "--to", "http://127.0.0.1:1",
            "--spool", Path.Combine(dir.Path, "spool"), "--listen", $"http://127.0.0.1:{port}");

        Assert.Equal(1, code);
        Assert.StartsWith($"mtasts-reporting forward: cannot listen on http://127.0.0.1:{port} (--listen):", Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public async Task Over_tls_a_key_without_the_relay_role_keeps_batches_spooled_and_the_relay_key_delivers_them()
    {
        using var central = new TempDirectory();
        using var relay = new TempDirectory();
        using var pki = new TestPki();
        var (certificate, privateKey) = TestPki.WritePem(pki.Issue("127.0.0.1", "localhost"), central.Path, "api");
        var authority = pki.WriteAuthorityPem(relay.Path);
        async Task<string> KeyFileAsync(string role)
        {
            var (code, output) = await DaemonProcess.RunToExitAsync(central.Path, "keys", "create", "--role", role, "--name", role, $"--Storage:DataDirectory={central.Path}");
            Assert.Equal(0, code);
            var key = System.Text.RegularExpressions.Regex.Match(output, "\"key\":\"([^\"]+)\"").Groups[1].Value;
            var file = Path.Combine(relay.Path, role + ".key");
            await File.WriteAllTextAsync(file, key + "\n");
            return file;
        }

        var readerKey = await KeyFileAsync("reader");
        var relayKey = await KeyFileAsync("relay");
        var store = new StoreReader(Path.Combine(central.Path, "mtasts-reporting.db"));
        await using var daemon = await DaemonProcess.StartCommandAsync(central.Path, "--urls", "https://127.0.0.1:0", "--HttpApi:Url=",
            $"--Grpc:CertificateFile={certificate}", $"--Grpc:KeyFile={privateKey}", "--Security:Authentication=ApiKeys", $"--Storage:DataDirectory={central.Path}");
        var socket = Path.Combine(relay.Path, "tlsrpt.sock");
        var spool = Path.Combine(relay.Path, "spool");
        string[] Args(string keyFile) => ["forward", "--socket", socket, "--to", daemon.Url, "--ca-file", authority, "--key-file", keyFile, "--spool", spool,
            "--listen", "http://127.0.0.1:0", "--Collector:CommitInterval=100ms", "--Forward:MinRetryDelay=100ms", "--Forward:MaxRetryDelay=300ms"];

        await using (var wrongKey = await DaemonProcess.StartCommandAsync(relay.Path, Args(readerKey)))
        {
            using (var sender = new DatagramSender(socket))
            {
                sender.Send(Failed, 20);
            }

            Assert.Equal(20, await DatagramSender.WaitForAsync(() => Task.FromResult(Spooled(spool)), n => n >= 20));
            await DatagramSender.WaitForAsync(() => Task.FromResult(wrongKey.Output), o => o.Contains("PermissionDenied", StringComparison.Ordinal));
            Assert.Contains("PermissionDenied", wrongKey.Output);
            Assert.Equal(0, await wrongKey.TerminateAsync());
        }

        Assert.Equal(0, await store.TotalSessionsAsync());
        await using var forwarder = await DaemonProcess.StartCommandAsync(relay.Path, Args(relayKey));
        Assert.Equal(20, await DatagramSender.WaitForAsync(store.TotalSessionsAsync, n => n >= 20));
        Assert.Equal(0, await forwarder.TerminateAsync());
    }
}
