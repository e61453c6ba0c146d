using System.Security.Cryptography.X509Certificates;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Tests.Support;

namespace MtaStsReporting.Daemon.Tests.Readiness;

/// <summary>
/// The live check against what real DNS, policy hosts and MX hosts do wrong, on loopback:
/// dnsmasq answering NXDOMAIN, REFUSED, SERVFAIL (an upstream that refuses connections) and
/// nothing at all (an upstream that never answers), null and malformed MX targets; a policy host
/// that trickles its body; an MX name whose addresses serve different certificates; MX hosts
/// without an address or with nothing listening. Every one is a finding with its cause.
/// </summary>
public sealed class LiveCheckTests : IAsyncLifetime
{
    private static readonly string Policy = "version: STSv1\nmode: testing\nmx: *.ok.test\nmx: *.multi.test\nmax_age: 604800\n";
    private readonly TempDirectory _dir = new();
    private readonly TestPki _pki = new(InProcessDaemon.DefaultNow);
    private readonly List<X509Certificate2> _certificates = [];
    private readonly RcodeUpstream _servfail = new(2);
    private readonly RcodeUpstream _refused = new(5);
    private readonly RcodeUpstream _silent = new(null);
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

        string[] policyHosts = ["mta-sts.ok.test", "mta-sts.multi.test", "mta-sts.none.test", "mta-sts.soon.test", "mta-sts.slow.test", "mta-sts.norecord.test", "mta-sts.nullmx.test", "mta-sts.oddmx.test"];
        var policyCert = Keep(_pki.Issue(policyHosts.Where(h => h != "mta-sts.soon.test").ToArray()));
        var soonCert = Keep(_pki.Issue(["mta-sts.soon.test"], _pki.Now.AddDays(-80), _pki.Now.AddDays(5)));
        _policyHost = await PolicyHost.StartAsync(
            policyHosts.Where(h => h != "mta-sts.slow.test" && h != "mta-sts.none.test").ToDictionary(h => h, _ => (200, "text/plain", Policy))
                .Append(new("mta-sts.none.test", (200, "text/plain", "version: STSv1\nmode: none\nmax_age: 86400\n"))).ToDictionary(),
            policyHosts.ToDictionary(h => h, h => h == "mta-sts.soon.test" ? soonCert : policyCert),
            new Dictionary<string, Func<Microsoft.AspNetCore.Http.HttpContext, Task>>
            {
                // Headers at once, then one byte a second: the whole fetch must be bounded, not just the headers.
                ["mta-sts.slow.test"] = async context =>
                {
                    context.Response.ContentType = "text/plain";
                    context.Response.ContentLength = Policy.Length;
                    await context.Response.StartAsync();
                    foreach (var b in System.Text.Encoding.ASCII.GetBytes(Policy))
                    {
                        await context.Response.Body.WriteAsync(new[] { b });
                        await context.Response.Body.FlushAsync();
                        await Task.Delay(1000, context.RequestAborted);
                    }
                },
            });

        var good = Keep(_pki.Issue("mx.ok.test", "mx.multi.test", "mx.none.test", "mx.soon.test", "mx.slow.test", "mx.norecord.test"));
        var expired = Keep(_pki.Issue(["mx.multi.test"], _pki.Now.AddDays(-90), _pki.Now.AddDays(-3)));
        _smtp = new SmtpStartTlsServer(
            new Dictionary<string, X509Certificate2> { ["mx.ok.test"] = good, ["mx.multi.test"] = good },
            new Dictionary<string, IReadOnlyDictionary<string, X509Certificate2>> { ["127.0.0.3"] = new Dictionary<string, X509Certificate2> { ["mx.multi.test"] = expired } });

        string[] ordinary = ["ok", "multi", "none", "soon", "slow", "nullmx", "oddmx", "unreachable", "noaddress"];
        _dns = await DnsServer.StartAsync(
            ordinary.ToDictionary(d => $"_mta-sts.{d}.test", _ => "v=STSv1; id=1;"),
            [
                "local=/test/",
                .. policyHosts.Select(h => $"host-record={h},127.0.0.1"),
                .. new[] { "ok", "none", "soon", "slow", "norecord" }.SelectMany(d => new[] { $"mx-host={d}.test,mx.{d}.test,10", $"host-record=mx.{d}.test,127.0.0.1" }),
                "mx-host=multi.test,mx.multi.test,10",
                "host-record=mx.multi.test,127.0.0.1",
                "host-record=mx.multi.test,127.0.0.3",
                "mx-host=unreachable.test,mx.unreachable.test,10",
                "host-record=mx.unreachable.test,127.0.0.4",
                "mx-host=noaddress.test,mx.noaddress.test,10",
                // RFC 7505 null MX: preference 0, the root as target (raw RDATA).
                "dns-rr=nullmx.test,15,000000",
                "mx-host=oddmx.test,mx_1.oddmx.test,10",
                $"server=/servfail.test/127.0.0.1#{_servfail.Port}",
                $"server=/refused.test/127.0.0.1#{_refused.Port}",
                $"server=/slowdns.test/127.0.0.1#{_silent.Port}",
            ]);

        _daemon = await InProcessDaemon.StartAsync(
            _dns.ServerArg, $"--Check:PolicyPort={_policyHost.Port}", $"--Check:SmtpPort={_smtp.Port}",
            $"--Check:TrustedCaFiles:0={_pki.WriteAuthorityPem(_dir.Path)}", "--Check:SmtpTimeout=00:00:03", "--Check:PolicyTimeout=00:00:03",
            "--Dns:Timeout=00:00:01");
        _client = new Api.V1.Readiness.ReadinessClient(_daemon.Channel);
    }

    public async Task DisposeAsync()
    {
        await _daemon.DisposeAsync();
        await _dns.DisposeAsync();
        await _policyHost.DisposeAsync();
        _smtp.Dispose();
        _silent.Dispose();
        _servfail.Dispose();
        _refused.Dispose();
        _certificates.ForEach(c => c.Dispose());
        _pki.Dispose();
        _dir.Dispose();
    }

    private async Task<DomainCheckResult> CheckAsync(string domain) =>
        await _client.CheckDomainAsync(new CheckDomainRequest { Domain = domain }, deadline: DateTime.UtcNow.AddSeconds(60));

    private static CheckFinding Finding(DomainCheckResult check, string name, string? subject = null) =>
        Assert.Single(check.Findings, f => f.Check == name && (subject is null || f.Subject == subject));

    [Theory]
    [InlineData("refused.test", "Refused", "was REFUSED by the resolver")]
    [InlineData("servfail.test", "ServFail", "failed with SERVFAIL")]
    [InlineData("slowdns.test", "TimedOut", "timed out")]
    public async Task A_failed_dns_lookup_is_named_not_taken_for_a_missing_record(string domain, string status, string words)
    {
        var check = await CheckAsync(domain);

        var record = Finding(check, "sts-record");
        Assert.Equal((FindingSeverity.Blocking, status), (record.Severity, record.Value));
        Assert.Contains(words, record.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("no TXT record", record.Message, StringComparison.Ordinal);
        Assert.Contains(words, Finding(check, "mx").Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_name_that_does_not_exist_says_nxdomain()
    {
        var check = await CheckAsync("absent.test");
        Assert.Contains("no TXT record starting with v=STSv1 (_mta-sts.absent.test does not exist (NXDOMAIN))", Finding(check, "sts-record").Message, StringComparison.Ordinal);
        Assert.Equal("absent.test does not exist (NXDOMAIN).", Finding(check, "mx").Message);
    }

    [Fact]
    public async Task A_null_mx_is_a_finding_not_a_crash()
    {
        var check = await CheckAsync("nullmx.test");
        var mx = Finding(check, "mx");
        Assert.Equal((FindingSeverity.Blocking, "0 ."), (mx.Severity, mx.Value));
        Assert.Contains("null MX (RFC 7505)", mx.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(check.Findings, f => f.Check == "starttls");
    }

    [Fact]
    public async Task An_mx_target_that_is_not_a_host_name_is_a_finding_not_a_crash()
    {
        var check = await CheckAsync("oddmx.test");
        var odd = Finding(check, "mx", "mx_1.oddmx.test");
        Assert.Equal(FindingSeverity.Blocking, odd.Severity);
        Assert.Contains("not a host name senders can deliver to", odd.Message, StringComparison.Ordinal);

        var verdict = await _client.GetReadinessAsync(new CheckDomainRequest { Domain = "oddmx.test" });
        Assert.Equal(ReadinessOutcome.NotReady, verdict.Verdict);
        Assert.Equal("mx_1.oddmx.test", verdict.Reasons.Single(r => r.Code == "mx-not-covered").Evidence["mx"]);
    }

    [Fact]
    public async Task Every_address_of_an_mx_is_probed_and_named()
    {
        var check = await CheckAsync("multi.test");

        var good = Finding(check, "starttls", "mx.multi.test [127.0.0.1]");
        var bad = Finding(check, "starttls", "mx.multi.test [127.0.0.3]");
        Assert.Equal((FindingSeverity.Info, "certificate expires in 90 days"), (good.Severity, good.Value));
        Assert.Equal((FindingSeverity.Blocking, "certificate expired 3 days ago"), (bad.Severity, bad.Value));

        var verdict = await _client.GetReadinessAsync(new CheckDomainRequest { Domain = "multi.test" });
        var expired = verdict.Reasons.Single(r => r.Code == "certificate-expired");
        Assert.Equal(("mx.multi.test", "127.0.0.3"), (expired.Evidence["mx"], expired.Evidence["address"]));
    }

    [Fact]
    public async Task An_mx_not_reached_or_without_address_is_said_so()
    {
        var unreachable = Finding(await CheckAsync("unreachable.test"), "starttls");
        Assert.Equal(("mx.unreachable.test [127.0.0.4]", "not reached", FindingSeverity.Warning), (unreachable.Subject, unreachable.Value, unreachable.Severity));
        Assert.Contains("connection refused", unreachable.Message, StringComparison.Ordinal);

        var noAddress = Finding(await CheckAsync("noaddress.test"), "starttls");
        Assert.Equal(("mx.noaddress.test", "no address"), (noAddress.Subject, noAddress.Value));
        Assert.Contains("mx.noaddress.test does not exist (NXDOMAIN)", noAddress.Message, StringComparison.Ordinal);

        var verdict = await _client.GetReadinessAsync(new CheckDomainRequest { Domain = "unreachable.test" });
        Assert.Equal(FindingSeverity.Insufficient, verdict.Reasons.Single(r => r.Code == "mx-unreachable").Severity);
    }

    [Fact]
    public async Task A_policy_host_that_trickles_is_cut_off_at_the_policy_timeout()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var check = await CheckAsync("slow.test");
        started.Stop();

        var policy = Finding(check, "policy");
        Assert.Equal((FindingSeverity.Blocking, "sts-policy-fetch-error"), (policy.Severity, policy.Value));
        Assert.Contains("sent its headers but only", policy.Message, StringComparison.Ordinal);
        Assert.Contains("within 3 s (Check:PolicyTimeout)", policy.Message, StringComparison.Ordinal);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), $"the check took {started.Elapsed}");
    }

    [Fact]
    public async Task Mode_none_needs_no_mx_lines()
    {
        var check = await CheckAsync("none.test");
        Assert.False(check.Blocking, string.Join("\n", check.Findings.Select(f => $"{f.Check} {f.Subject}: {f.Message}")));
        Assert.Contains("Mode none", Finding(check, "mx-match").Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_policy_host_certificate_near_expiry_is_a_warning()
    {
        var check = await CheckAsync("soon.test");
        var warning = Finding(check, "policy-certificate");
        Assert.Equal((FindingSeverity.Warning, "certificate expires in 5 days"), (warning.Severity, warning.Value));
    }

    [Fact]
    public async Task Without_an_sts_record_the_policy_is_not_called_a_fetch_error()
    {
        var check = await CheckAsync("norecord.test");
        Assert.Equal(FindingSeverity.Blocking, Finding(check, "sts-record").Severity);
        var policy = Finding(check, "policy");
        Assert.Equal(FindingSeverity.Info, policy.Severity);
        Assert.Contains("Senders will not fetch it until _mta-sts has a valid record", policy.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(check.Findings, f => f.Message.Contains("sts-policy-fetch-error", StringComparison.Ordinal));
    }
}
