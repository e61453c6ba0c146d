using System.Diagnostics;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Tests.Support;

namespace MtaStsReporting.Daemon.Tests.Readiness;

/// <summary>
/// The live check never resumes a TLS session: a resumed session would show the certificate it
/// remembered, not the one the host serves now. OpenSSL's own server (s_server -state) says
/// whether each handshake sent a certificate: a resumed one does not.
/// </summary>
public sealed class TlsResumptionTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly TestPki _pki = new(InProcessDaemon.DefaultNow);
    private Process _server = null!;
    private readonly List<string> _serverLog = [];
    private DnsServer _dns = null!;
    private InProcessDaemon _daemon = null!;
    private int _port;

    public async Task InitializeAsync()
    {
        using var certificate = _pki.Issue("mta-sts.resume.test");
        var (certificateFile, keyFile) = TestPki.WritePem(certificate, _dir.Path, "policy");
        _port = Loopback.FreePort();
        var start = new ProcessStartInfo("openssl") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in new[] { "s_server", "-accept", $"127.0.0.1:{_port}", "-cert", certificateFile, "-key", keyFile, "-www", "-state" })
        {
            start.ArgumentList.Add(a);
        }

        _server = Process.Start(start)!;
        _server.OutputDataReceived += (_, e) => { lock (_serverLog) { if (e.Data is not null) { _serverLog.Add(e.Data); } } };
        _server.ErrorDataReceived += (_, e) => { lock (_serverLog) { if (e.Data is not null) { _serverLog.Add(e.Data); } } };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        Assert.True(await Loopback.WaitForListenerAsync(_port, TimeSpan.FromSeconds(10)), "openssl s_server did not start");

        _dns = await DnsServer.StartAsync(
            new Dictionary<string, string> { ["_mta-sts.resume.test"] = "v=STSv1; id=1;" },
            ["local=/test/", "host-record=mta-sts.resume.test,127.0.0.1"]);
        _daemon = await InProcessDaemon.StartAsync(_dns.ServerArg, $"--Check:PolicyPort={_port}",
            $"--Check:TrustedCaFiles:0={_pki.WriteAuthorityPem(_dir.Path)}", "--Check:PolicyTimeout=00:00:05");
    }

    public async Task DisposeAsync()
    {
        await _daemon.DisposeAsync();
        await _dns.DisposeAsync();
        if (!_server.HasExited)
        {
            _server.Kill();
            await _server.WaitForExitAsync();
        }

        _server.Dispose();
        _pki.Dispose();
        _dir.Dispose();
    }

    private int Count(string state)
    {
        lock (_serverLog)
        {
            return _serverLog.Count(l => l.Contains(state, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Every_policy_fetch_gets_a_full_handshake_with_the_certificate()
    {
        var client = new Api.V1.Readiness.ReadinessClient(_daemon.Channel);
        for (var i = 0; i < 3; i++)
        {
            var check = await client.CheckDomainAsync(new CheckDomainRequest { Domain = "resume.test" });
            // s_server -www answers with its status page: fetched over TLS, but not a policy.
            Assert.Contains(check.Findings, f => f.Check == "policy" && f.Message.Contains("the policy is invalid", StringComparison.Ordinal));
        }

        await Task.Delay(500);
        Assert.Equal(3, Count("read client hello"));
        Assert.Equal(3, Count("write certificate"));
    }
}
