using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Google.Protobuf;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Tests.Support;

namespace MtaStsReporting.Daemon.Tests.Readiness;

/// <summary>
/// The live check and the verdict against real peers on loopback: dnsmasq for the zones, an
/// HTTPS policy host and an SMTP STARTTLS responder with certificates from a test CA (good,
/// expired, wrongly named), and inbound reports entered through the report import.
/// </summary>
public sealed class ReadinessApiTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string[] ReadyLines = ["version: STSv1", "mode: testing", "mx: mx.ready.example", "max_age: 604800"];
    private static readonly string[] BrokenLines = ["version: STSv1", "mode: testing", "mx: *.broken.example", "max_age: 604800"];
    private readonly TempDirectory _dir = new();
    // The live check judges certificates at the daemon's clock: issue them against that clock.
    private readonly TestPki _pki = new(InProcessDaemon.DefaultNow);
    private readonly List<X509Certificate2> _certificates = [];
    private DnsServer _dns = null!;
    private PolicyHost _policyHost = null!;
    private SmtpStartTlsServer _smtp = null!;
    private InProcessDaemon _daemon = null!;
    private Api.V1.Readiness.ReadinessClient _client = null!;

    public async Task InitializeAsync()
    {
        X509Certificate2 Keep(X509Certificate2 c)
        {
            _certificates.Add(c);
            return c;
        }

        var policyCert = Keep(_pki.Issue("mta-sts.ready.example", "mta-sts.broken.example", "mta-sts.redirect.example"));
        var wrongPolicyCert = Keep(_pki.Issue("mta-sts.somewhere-else.example"));
        _policyHost = await PolicyHost.StartAsync(
            new Dictionary<string, (int, string, string)>
            {
                ["mta-sts.ready.example"] = (200, "text/plain", string.Join("\r\n", ReadyLines) + "\r\n"),
                ["mta-sts.broken.example"] = (200, "text/plain", string.Join("\n", BrokenLines) + "\n"),
                ["mta-sts.redirect.example"] = (301, "text/plain", string.Empty),
                ["mta-sts.badcert.example"] = (200, "text/plain", string.Join("\n", ReadyLines)),
            },
            new Dictionary<string, X509Certificate2>
            {
                ["mta-sts.ready.example"] = policyCert,
                ["mta-sts.broken.example"] = policyCert,
                ["mta-sts.redirect.example"] = policyCert,
                ["mta-sts.badcert.example"] = wrongPolicyCert,
            });

        _smtp = new SmtpStartTlsServer(new Dictionary<string, X509Certificate2>
        {
            ["mx.ready.example"] = Keep(_pki.Issue("mx.ready.example")),
            ["mx-expired.broken.example"] = Keep(_pki.Issue(["mx-expired.broken.example"], _pki.Now.AddDays(-90), _pki.Now.AddDays(-3))),
            ["mx-wrongname.broken.example"] = Keep(_pki.Issue("mail.unrelated.example")),
        });

        string[] hosts = ["mta-sts.ready.example", "mta-sts.broken.example", "mta-sts.redirect.example", "mta-sts.badcert.example",
            "mx.ready.example", "mx-expired.broken.example", "mx-wrongname.broken.example", "mx.redirect.example", "mx.badcert.example"];
        _dns = await DnsServer.StartAsync(
            new Dictionary<string, string>
            {
                ["_mta-sts.ready.example"] = "v=STSv1; id=20261101T000000;",
                ["_smtp._tls.ready.example"] = "v=TLSRPTv1; rua=mailto:tlsrpt@ready.example",
                ["_mta-sts.broken.example"] = "v=STSv1; id=20261102T000000;",
                ["_mta-sts.redirect.example"] = "v=STSv1; id=1;",
                ["_mta-sts.badcert.example"] = "v=STSv1; id=1;",
            },
            [
                "local=/example/", // names it has no records for do not exist (NXDOMAIN), as in a real zone
                .. hosts.Select(h => $"host-record={h},127.0.0.1"),
                "host-record=mx-plain.broken.example,127.0.0.2",
                "mx-host=ready.example,mx.ready.example,10",
                "mx-host=broken.example,mx-expired.broken.example,10",
                "mx-host=broken.example,mx-wrongname.broken.example,20",
                "mx-host=broken.example,mx-plain.broken.example,30",
                "mx-host=broken.example,mx.elsewhere.example,40",
                "mx-host=redirect.example,mx.redirect.example,10",
                "mx-host=badcert.example,mx.badcert.example,10",
            ]);

        _daemon = await InProcessDaemon.StartAsync(
            _dns.ServerArg, $"--Check:PolicyPort={_policyHost.Port}", $"--Check:SmtpPort={_smtp.Port}",
            $"--Check:TrustedCaFiles:0={_pki.WriteAuthorityPem(_dir.Path)}", "--Check:SmtpTimeout=00:00:05", "--Check:PolicyTimeout=00:00:05");
        _client = new Api.V1.Readiness.ReadinessClient(_daemon.Channel);

        // 28 days of reports from two reporters for each domain, through the report import.
        var import = new ReportImport.ReportImportClient(_daemon.Channel);
        var today = DateOnly.FromDateTime(InProcessDaemon.DefaultNow.UtcDateTime);
        for (var d = 1; d <= 28; d++)
        {
            var day = today.AddDays(-d).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            foreach (var org in new[] { "Google Inc.", "Microsoft Corporation" })
            {
                await import.ImportReportAsync(new ImportReportRequest { Content = Report(org, day, "ready.example", ReadyLines, 60, "[]") });
                await import.ImportReportAsync(new ImportReportRequest
                {
                    Content = Report(org, day, "broken.example", BrokenLines, 60, d % 7 == 0
                        ? """[{"result-type":"certificate-expired","receiving-mx-hostname":"mx-expired.broken.example","failed-session-count":4}]"""
                        : "[]"),
                });
            }
        }
    }

    public async Task DisposeAsync()
    {
        await _daemon.DisposeAsync();
        await _dns.DisposeAsync();
        await _policyHost.DisposeAsync();
        _smtp.Dispose();
        _certificates.ForEach(c => c.Dispose());
        _pki.Dispose();
        _dir.Dispose();
    }

    private static ByteString Report(string org, string day, string domain, string[] lines, long ok, string details) =>
        ByteString.CopyFrom(TestReports.DayReport(org, day, domain, lines, ok, details));

    [Fact]
    public async Task A_healthy_domain_checks_clean()
    {
        var check = await _client.CheckDomainAsync(new CheckDomainRequest { Domain = "ready.example" });

        Assert.False(check.Blocking, string.Join("\n", check.Findings.Select(f => $"{f.Check} {f.Subject}: {f.Message}")));
        Assert.Equal("20261101T000000", check.TxtId);
        Assert.Equal(["mx.ready.example"], check.MxHosts);
        Assert.Equal(["mailto:tlsrpt@ready.example"], check.Rua);
        Assert.Equal(string.Join("\r\n", ReadyLines) + "\r\n", check.PolicyText);
        var starttls = Assert.Single(check.Findings, f => f.Check == "starttls");
        Assert.Equal((FindingSeverity.Info, "mx.ready.example [127.0.0.1]", "certificate expires in 90 days"), (starttls.Severity, starttls.Subject, starttls.Value));
        Assert.Contains(check.Findings, f => f.Check == "mx-match" && f.Value == "mx.ready.example");
    }

    [Fact]
    public async Task Broken_mx_hosts_are_found_one_by_one()
    {
        var check = await _client.CheckDomainAsync(new CheckDomainRequest { Domain = "broken.example" });

        Assert.True(check.Blocking);
        var starttls = check.Findings.Where(f => f.Check == "starttls").ToDictionary(f => f.Subject);
        Assert.Equal("certificate expired 3 days ago", starttls["mx-expired.broken.example [127.0.0.1]"].Value);
        Assert.Contains("does not name this MX host", starttls["mx-wrongname.broken.example [127.0.0.1]"].Message);
        Assert.Equal("not offered", starttls["mx-plain.broken.example [127.0.0.2]"].Value);
        Assert.Equal(("no address", FindingSeverity.Warning), (starttls["mx.elsewhere.example"].Value, starttls["mx.elsewhere.example"].Severity));
        Assert.All(starttls.Values.Where(f => f.Subject != "mx.elsewhere.example"), f => Assert.Equal(FindingSeverity.Blocking, f.Severity));
        var uncovered = Assert.Single(check.Findings, f => f.Check == "mx-match" && f.Severity == FindingSeverity.Blocking);
        Assert.Equal("mx.elsewhere.example", uncovered.Subject);
        Assert.Contains(check.Findings, f => f.Check == "tlsrpt-record" && f.Severity == FindingSeverity.Warning);
    }

    [Theory]
    [InlineData("redirect.example", "HTTP 301")]
    [InlineData("badcert.example", "sts-webpki-invalid")]
    [InlineData("nothing.example", "no TXT record")]
    public async Task Policy_fetch_problems_are_blocking(string domain, string expected)
    {
        var check = await _client.CheckDomainAsync(new CheckDomainRequest { Domain = domain });
        Assert.True(check.Blocking);
        Assert.Contains(check.Findings, f => f.Severity == FindingSeverity.Blocking && f.Message.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_ready_domain_gets_ready_and_the_policy_to_publish()
    {
        var verdict = await _client.GetReadinessAsync(new CheckDomainRequest { Domain = "ready.example" });

        Assert.Equal(ReadinessOutcome.Ready, verdict.Verdict);
        Assert.Equal("testing", verdict.Mode);
        Assert.Equal("version: STSv1\nmode: enforce\nmx: mx.ready.example\nmax_age: 604800\n", verdict.NextPolicyText);
        Assert.Equal("20261129120000", verdict.NextId);
        Assert.DoesNotContain(verdict.Reasons, r => r.Severity >= FindingSeverity.Insufficient);
        // 21 days × 2 reporters × 60 sessions, all imported by an admin (verified).
        var evidence = verdict.Reasons.Single(r => r.Code == "evidence").Evidence;
        Assert.Equal(("21", "2520", "2520", "1"), (evidence["days-covered"], evidence["sessions"], evidence["verified-sessions"], evidence["verified-share"]));
    }

    [Fact]
    public async Task A_broken_domain_is_not_ready_with_every_reason()
    {
        var verdict = await _client.GetReadinessAsync(new CheckDomainRequest { Domain = "broken.example" });

        Assert.Equal(ReadinessOutcome.NotReady, verdict.Verdict);
        var codes = verdict.Reasons.Select(r => r.Code).ToList();
        Assert.Contains("enforce-would-block", codes);
        Assert.Contains("mx-not-covered", codes);
        Assert.Contains("certificate-expired", codes);
        Assert.Contains("starttls-missing", codes);
        // Days 7, 14, 21 and 28 ago had 4 expired-certificate failures from each of two reporters; 28 is outside the 21-day window.
        var blocked = verdict.Reasons.Single(r => r.Code == "enforce-would-block");
        Assert.Equal("certificate-expired=24", blocked.Evidence["by-result-type"]);
        Assert.Empty(verdict.NextPolicyText);
    }

    [Fact]
    public async Task The_commands_print_json_and_exit_with_the_verdict()
    {
        var url = _daemon.Url;
        var (ready, readyOut) = await DaemonProcess.RunToExitAsync(_dir.Path, "readiness", "ready.example", "--url", url, "--json");
        var (notReady, notReadyOut) = await DaemonProcess.RunToExitAsync(_dir.Path, "readiness", "broken.example", "--url", url);
        output.WriteLine(readyOut);
        output.WriteLine(notReadyOut);
        var (check, checkOut) = await DaemonProcess.RunToExitAsync(_dir.Path, "check", "broken.example", "--url", url, "--json");
        var (bad, badOut) = await DaemonProcess.RunToExitAsync(_dir.Path, "readiness", "not a domain", "--url", url);

        Assert.Equal((0, 1, 1, 2), (ready, notReady, check, bad));
        Assert.Equal("READINESS_OUTCOME_READY", JsonDocument.Parse(readyOut).RootElement.GetProperty("verdict").GetString());
        Assert.True(JsonDocument.Parse(checkOut).RootElement.GetProperty("blocking").GetBoolean());
        Assert.Contains("InvalidArgument", badOut);
    }
}
