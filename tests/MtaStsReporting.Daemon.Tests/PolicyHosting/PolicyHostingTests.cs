using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Tests.Support;

namespace MtaStsReporting.Daemon.Tests.PolicyHosting;

/// <summary>
/// The hosted policies served by a real daemon on loopback, with certificates from a test CA
/// chosen by SNI: fetched by curl (HTTP/1.1 and HTTP/2), by a TLS client that reads which
/// certificate it got, and by the daemon's own live check through dnsmasq; a renewed
/// certificate served without a restart; nothing but the policy answered on that listener.
/// </summary>
public sealed class PolicyHostingTests : IAsyncLifetime
{
    private const string EnforcePolicy = "version: STSv1\r\nmode: enforce\r\nmx: mx1.a.example\r\nmx: *.backup.a.example\r\nmax_age: 86400\r\n";
    private const string TestingPolicy = "version: STSv1\r\nmode: testing\r\nmx: mx.b.example\r\nmax_age: 604800\r\n";

    private readonly TempDirectory _files = new();
    // Issued from the daemon's fixed clock (the live check judges certificates at it), and valid for curl's real one.
    private readonly TestPki _pki = new(InProcessDaemon.DefaultNow);
    private int _port;
    private DnsServer _dns = null!;
    private InProcessDaemon _daemon = null!;
    private string _caFile = null!;
    private (string Certificate, string Key) _a;

    public async Task InitializeAsync()
    {
        _caFile = _pki.WriteAuthorityPem(_files.Path);
        using var a = _pki.Issue("mta-sts.a.example");
        using var b = _pki.Issue("*.b.example");
        _a = TestPki.WritePem(a, _files.Path, "a");
        var wildcard = TestPki.WritePem(b, _files.Path, "b");
        _dns = await DnsServer.StartAsync(
            new Dictionary<string, string> { ["_mta-sts.a.example"] = "v=STSv1; id=20261130;" },
            ["local=/example/", "host-record=mta-sts.a.example,127.0.0.1", "mx-host=a.example,mx1.a.example,10", "host-record=mx1.a.example,127.0.0.1"]);
        // The live check must be told the policy port before the daemon starts, so the port is
        // picked here. The daemon's other listeners take ephemeral ports as it starts, and one of
        // them can be handed the very port just picked and released: then pick another.
        for (var attempt = 1; ; attempt++)
        {
            _port = Loopback.FreePort();
            try
            {
                _daemon = await InProcessDaemon.StartAsync(
                    $"--PolicyHosting:Url=https://127.0.0.1:{_port}",
                    $"--PolicyHosting:Certificates:0:CertificateFile={_a.Certificate}", $"--PolicyHosting:Certificates:0:KeyFile={_a.Key}",
                    $"--PolicyHosting:Certificates:1:CertificateFile={wildcard.Certificate}", $"--PolicyHosting:Certificates:1:KeyFile={wildcard.Key}",
                    "--PolicyHosting:Domains:0:Name=a.example", "--PolicyHosting:Domains:0:Mode=enforce", "--PolicyHosting:Domains:0:Mx=mx1.a.example,*.backup.a.example", "--PolicyHosting:Domains:0:MaxAge=86400",
                    "--PolicyHosting:Domains:1:Name=b.example", "--PolicyHosting:Domains:1:Mx=mx.b.example",
                    _dns.ServerArg, $"--Check:PolicyPort={_port}", $"--Check:TrustedCaFiles={_caFile}", $"--Check:SmtpPort={Loopback.FreePort()}", "--Check:SmtpTimeout=2s");
                return;
            }
            catch (MtaStsReporting.Daemon.Hosting.ListenerInUseException) when (attempt < 5)
            {
            }
        }
    }

    public async Task DisposeAsync()
    {
        await _daemon.DisposeAsync();
        await _dns.DisposeAsync();
        _pki.Dispose();
        _files.Dispose();
    }

    private (int Code, string Output) Curl(params string[] args) =>
        File.Exists("/usr/bin/curl")
            ? Command.Run("curl", ["-sS", "--cacert", _caFile, "--resolve", $"mta-sts.a.example:{_port}:127.0.0.1", "--resolve", $"mta-sts.b.example:{_port}:127.0.0.1", .. args])
            : throw new InvalidOperationException("curl is not installed: test.sh installs it");

    /// <summary>The certificate served to a client that asks for <paramref name="host"/> by SNI.</summary>
    private async Task<X509Certificate2> CertificateForAsync(string host)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, _port);
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = host, RemoteCertificateValidationCallback = (_, _, _, _) => true });
        return new X509Certificate2(tls.RemoteCertificate!);
    }

    private HttpClient Client(string host) => PinnedHttp.To(host, _port);

    [Theory]
    [InlineData("--http1.1", "1.1", "a", EnforcePolicy)]
    [InlineData("--http2", "2", "a", EnforcePolicy)]
    [InlineData("--http2", "2", "b", TestingPolicy)]
    public void Curl_gets_each_domains_policy_over_https_with_sni_against_the_private_ca(string protocol, string version, string domain, string policy)
    {
        var (code, output) = Curl(protocol, "-w", "\n%{http_version} %{http_code} %{content_type}", $"https://mta-sts.{domain}.example:{_port}/.well-known/mta-sts.txt");

        Assert.Equal((0, policy + $"\n{version} 200 text/plain"), (code, output));
    }

    [Fact]
    public async Task Each_host_gets_its_own_certificate_by_sni()
    {
        using var a = await CertificateForAsync("mta-sts.a.example");
        using var b = await CertificateForAsync("mta-sts.b.example");

        Assert.Equal("CN=mta-sts.a.example", a.Subject);
        Assert.Equal("CN=*.b.example", b.Subject);
    }

    [Theory]
    [InlineData("GET", "mta-sts.a.example", "/.well-known/mta-sts.txt?x=1")]
    [InlineData("GET", "mta-sts.a.example", "/.well-known/MTA-STS.txt")]
    [InlineData("GET", "mta-sts.a.example", "/")]
    [InlineData("POST", "mta-sts.a.example", "/.well-known/mta-sts.txt")]
    [InlineData("GET", "mta-sts.c.example", "/.well-known/mta-sts.txt")]
    [InlineData("GET", "mta-sts.a.example", "/v1/domains")]
    [InlineData("GET", "mta-sts.a.example", "/metrics")]
    [InlineData("GET", "mta-sts.a.example", "/dashboard/")]
    public async Task Anything_but_a_hosted_policy_is_not_found_and_never_redirected(string method, string host, string path)
    {
        using var client = Client(host);

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Head_answers_the_policys_headers_without_its_body()
    {
        using var client = Client("mta-sts.a.example");

        using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/.well-known/mta-sts.txt"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("text/plain", (long?)EnforcePolicy.Length), (response.Content.Headers.ContentType!.MediaType, response.Content.Headers.ContentLength));
    }

    [Fact]
    public async Task A_renewed_certificate_is_served_without_a_restart()
    {
        using var before = await CertificateForAsync("mta-sts.a.example");
        using var renewed = _pki.Issue("mta-sts.a.example");
        var written = TestPki.WritePem(renewed, Path.Combine(_files.Path), "renewed");
        File.Copy(written.Key, _a.Key, overwrite: true);
        File.Copy(written.Certificate, _a.Certificate, overwrite: true);

        await DovecotServer.EventuallyAsync(async () =>
        {
            using var now = await CertificateForAsync("mta-sts.a.example");
            return now.SerialNumber == renewed.SerialNumber;
        }, "the renewed certificate served");

        Assert.NotEqual(before.SerialNumber, renewed.SerialNumber);
        var (code, output) = Curl($"https://mta-sts.a.example:{_port}/.well-known/mta-sts.txt");
        Assert.Equal((0, EnforcePolicy), (code, output));
    }

    [Fact]
    public async Task A_domain_no_certificate_names_stops_the_start_with_one_line()
    {
        var (code, output) = await DaemonProcess.RunToExitAsync(_files.Path,
            $"--Storage:DataDirectory={_files.Path}/data", "--PolicyHosting:Url=https://127.0.0.1:0",
            $"--PolicyHosting:Certificates:0:CertificateFile={_a.Certificate}", $"--PolicyHosting:Certificates:0:KeyFile={_a.Key}",
            "--PolicyHosting:Domains:0:Name=a.example", "--PolicyHosting:Domains:0:Mx=mx1.a.example",
            "--PolicyHosting:Domains:1:Name=z.example", "--PolicyHosting:Domains:1:Mx=mx1.z.example");

        Assert.Equal(2, code);
        Assert.Equal("mtasts-reporting: configuration error: PolicyHosting:Certificates: no certificate names mta-sts.z.example; senders would refuse its policy (RFC 8461 §3.3).",
            Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.False(Directory.Exists(Path.Combine(_files.Path, "data")));
    }

    [Fact]
    public async Task The_daemons_own_live_check_fetches_the_hosted_policy()
    {
        var check = await new MtaStsReporting.Api.V1.Readiness.ReadinessClient(_daemon.Channel).CheckDomainAsync(new CheckDomainRequest { Domain = "a.example" }, deadline: DateTime.UtcNow.AddSeconds(60));

        var findings = string.Join("\n", check.Findings.Select(f => $"{f.Check} {f.Severity} {f.Subject}: {f.Message}"));
        Assert.True(EnforcePolicy == check.PolicyText, findings);
        Assert.Equal("20261130", check.TxtId);
        Assert.DoesNotContain(check.Findings, f => f.Check is "policy" or "policy-certificate" or "policy-media-type" && f.Severity == FindingSeverity.Blocking);
        Assert.Contains(check.Findings, f => f.Check == "mx-match" && f.Severity == FindingSeverity.Info);
        Assert.True(check.Findings.Count > 0, findings);
    }
}
