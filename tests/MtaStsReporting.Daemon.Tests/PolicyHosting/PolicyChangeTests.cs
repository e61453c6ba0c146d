using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Hosting;
using MtaStsReporting.Daemon.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using MtaStsReporting.Domain.MtaSts;

namespace MtaStsReporting.Daemon.Tests.PolicyHosting;

/// <summary>
/// Policies as data and the one safe step, end to end with real servers on loopback: BIND 9 as
/// the zones' primary (the daemon's resolver, and the target of its RFC 2136 updates signed
/// with TSIG), the daemon's own policy listener fetched by its own live check, an SMTP STARTTLS
/// responder for the MX probes, certificates from a test CA, and reports entered through the
/// report import. The commands are run as a user types them, against the daemon's gRPC API.
/// </summary>
public sealed class PolicyChangeTests : IAsyncLifetime
{
    private static readonly string[] TestingLines = ["version: STSv1", "mode: testing", "mx: mx.a.example", "max_age: 86400"];
    private static readonly string SeedId = StsRecord.Next(InProcessDaemon.DefaultNow, null).Id;
    private static readonly string[] Domains = ["a.example", "b.example", "c.example", "d.example"];

    private readonly TempDirectory _dir = new();
    // The live check judges certificates at the daemon's clock: issue them against that clock.
    private readonly TestPki _pki = new(InProcessDaemon.DefaultNow);
    private readonly List<X509Certificate2> _certificates = [];
    private BindServer _bind = null!;
    private SmtpStartTlsServer _smtp = null!;
    private InProcessDaemon _daemon = null!;
    private Policies.PoliciesClient _policies = null!;
    private int _port;
    private string[] _args = [];

    public async Task InitializeAsync()
    {
        var policyCert = Keep(_pki.Issue([.. Domains.Select(d => "mta-sts." + d)], _pki.Now.AddDays(-1), _pki.Now.AddDays(90)));
        var (certificate, key) = TestPki.WritePem(policyCert, _dir.Path, "policy");
        _smtp = new SmtpStartTlsServer(Domains.ToDictionary(d => "mx." + d, d => Keep(_pki.Issue("mx." + d))));

        // a, b and c are served from the settings (version 1, id SeedId, published); d is added
        // through the API. The key may update the _mta-sts record of every zone but b's.
        _bind = await BindServer.StartAsync(
            Domains.ToDictionary(d => d, string[] (d) =>
            [
                "@ IN MX 10 mx", "mx IN A 127.0.0.1", "mta-sts IN A 127.0.0.1", $"_smtp._tls IN TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@{d}\"",
                .. d == "d.example" ? Array.Empty<string>() : [$"_mta-sts IN TXT \"v=STSv1; id={SeedId}\""],
            ]),
            ["a.example", "c.example", "d.example"]);

        for (var attempt = 1; ; attempt++)
        {
            // The live check must be told the policy port before the daemon starts; one of the
            // daemon's own ephemeral listeners may take it first: then pick another.
            _port = Loopback.FreePort();
            _args =
            [
                $"--PolicyHosting:Url=https://127.0.0.1:{_port}",
                $"--PolicyHosting:Certificates:0:CertificateFile={certificate}", $"--PolicyHosting:Certificates:0:KeyFile={key}",
                .. new[] { "a.example", "b.example", "c.example" }.SelectMany((d, i) => new[]
                {
                    $"--PolicyHosting:Domains:{i}:Name={d}", $"--PolicyHosting:Domains:{i}:Mode=testing", $"--PolicyHosting:Domains:{i}:Mx=mx.{d}", $"--PolicyHosting:Domains:{i}:MaxAge=86400",
                }),
                _bind.ResolverArg, $"--Check:PolicyPort={_port}", $"--Check:SmtpPort={_smtp.Port}", $"--Check:TrustedCaFiles:0={_pki.WriteAuthorityPem(_dir.Path)}",
                "--Check:SmtpTimeout=00:00:05", "--Check:PolicyTimeout=00:00:05", "--PolicyHosting:RefreshInterval=00:00:01",
            ];
            try
            {
                _daemon = await InProcessDaemon.StartAsync([.. _args, .. _bind.UpdateArgs]);
                break;
            }
            catch (ListenerInUseException) when (attempt < 5)
            {
            }
        }

        _policies = new Policies.PoliciesClient(_daemon.Channel);
        // 28 clean days from two reporters for a and b (READY); nothing for c (INSUFFICIENT_DATA).
        for (var d = 1; d <= 28; d++)
        {
            foreach (var org in new[] { "Google Inc.", "Microsoft Corporation" })
            {
                await ImportAsync(org, "a.example", d, TestingLines, 60, "[]");
                await ImportAsync(org, "b.example", d, ["version: STSv1", "mode: testing", "mx: mx.b.example", "max_age: 86400"], 60, "[]");
            }
        }
    }

    public async Task DisposeAsync()
    {
        await _daemon.DisposeAsync();
        await _bind.DisposeAsync();
        _smtp.Dispose();
        _certificates.ForEach(c => c.Dispose());
        _pki.Dispose();
        _dir.Dispose();
    }

    private X509Certificate2 Keep(X509Certificate2 certificate)
    {
        _certificates.Add(certificate);
        return certificate;
    }

    private async Task ImportAsync(string org, string domain, int daysAgo, string[] lines, long ok, string details)
    {
        var day = DateOnly.FromDateTime(InProcessDaemon.DefaultNow.UtcDateTime).AddDays(-daysAgo).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        // Reports of another mode of the same policy on the same day are other reports.
        var content = ByteString.CopyFrom(TestReports.DayReport(org, day, domain, lines, ok, details, reportId: $"{day}_{domain}_{lines[1]}"));
        await new ReportImport.ReportImportClient(_daemon.Channel).ImportReportAsync(new ImportReportRequest { Content = content });
    }

    private async Task<(int Code, string Output, string Error)> CliAsync(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = await CommandTree.RunAsync([.. args, "--url", _daemon.Url], output, error);
        return (code, output.ToString(), error.ToString());
    }

    private async Task<string> ServedAsync(string domain)
    {
        using var client = PinnedHttp.To("mta-sts." + domain, _port);
        return await client.GetStringAsync("/.well-known/mta-sts.txt");
    }

    private static string Policy(string mode, string domain = "a.example", long maxAge = 86400) =>
        $"version: STSv1\r\nmode: {mode}\r\nmx: mx.{domain}\r\nmax_age: {maxAge}\r\n";

    [Fact]
    public async Task Testing_to_enforce_and_back_each_in_one_step_served_first_then_published_then_confirmed()
    {
        // The dry run says what the step would do, and does none of it.
        _daemon.Clock.Now = InProcessDaemon.DefaultNow.AddHours(1);
        var (dryCode, dryOut, dryError) = await CliAsync("readiness", "a.example", "--apply", "--dry-run");
        Assert.Equal((0, ""), (dryCode, dryError));
        Assert.Contains("a.example  DRY_RUN  v1 testing id=20261129120000  v2 enforce id=20261129130000", dryOut, StringComparison.Ordinal);
        Assert.Contains($"  2. replace _mta-sts.a.example TXT with \"v=STSv1; id=20261129130000\" through an RFC 2136 update to 127.0.0.1:{_bind.Port}", dryOut, StringComparison.Ordinal);
        Assert.Equal(Policy("testing"), await ServedAsync("a.example"));
        Assert.Equal([$"v=STSv1; id={SeedId}"], await _bind.TxtAsync("_mta-sts.a.example"));
        Assert.Single((await _policies.GetPolicyHistoryAsync(new GetPolicyRequest { Domain = "a.example" })).Versions);

        // READY in testing: enforce, served, published through BIND, confirmed by the live check.
        var (code, output, error) = await CliAsync("readiness", "a.example", "--apply", "--reason", "four clean weeks", "--wait", "30s");
        Assert.Equal((0, ""), (code, error));
        Assert.Contains("a.example  READY    testing", output, StringComparison.Ordinal);
        // The step publishes the next policy itself: the verdict's "publish this" is not repeated.
        Assert.DoesNotContain("Next policy", output, StringComparison.Ordinal);
        Assert.Contains("a.example  CHANGED  v1 testing id=20261129120000  v2 enforce id=20261129130000", output, StringComparison.Ordinal);
        Assert.EndsWith("DNS gives id 20261129130000 and https://mta-sts.a.example/.well-known/mta-sts.txt serves version 2: confirmed.\n", output, StringComparison.Ordinal);
        Assert.Equal(Policy("enforce"), await ServedAsync("a.example"));
        Assert.Equal(["v=STSv1; id=20261129130000"], await _bind.TxtAsync("_mta-sts.a.example"));
        var enforced = await _policies.GetPolicyAsync(new GetPolicyRequest { Domain = "a.example" });
        Assert.Equal((2, "enforce", PolicyState.Confirmed, "apply", ReadinessOutcome.Ready, "four clean weeks", "a local caller (Security:Authentication=None)", false),
            (enforced.Version, enforced.Mode, enforced.State, enforced.Origin, enforced.Verdict, enforced.Reason, enforced.Actor, enforced.Forced));
        Assert.Equal("2026-11-29T13:00:00Z", enforced.CreatedAt);
        var evidence = Assert.Single(enforced.Evidence, r => r.Code == "evidence");
        // The observation window (Readiness:ObservationDays) of the 28 days reported.
        Assert.Equal(("21", "Google Inc.,Microsoft Corporation"), (evidence.Evidence["days-covered"], evidence.Evidence["reporters"]));

        // Under enforce, reporters see mail refused (certificate-expired on the last week): ROLL_BACK, back to testing.
        for (var d = 1; d <= 7; d++)
        {
            await ImportAsync("Google Inc.", "a.example", d, ["version: STSv1", "mode: enforce", "mx: mx.a.example", "max_age: 86400"], 10,
                """[{"result-type":"certificate-expired","receiving-mx-hostname":"mx.a.example","failed-session-count":40}]""");
        }

        _daemon.Clock.Now = InProcessDaemon.DefaultNow.AddHours(2);
        (code, output, error) = await CliAsync("readiness", "a.example", "--apply", "--wait", "30s");
        Assert.Equal((0, ""), (code, error));
        Assert.Contains("a.example  ROLL_BACK  enforce", output, StringComparison.Ordinal);
        Assert.Contains("a.example  CHANGED  v2 enforce id=20261129130000  v3 testing id=20261129140000", output, StringComparison.Ordinal);
        Assert.EndsWith("serves version 3: confirmed.\n", output, StringComparison.Ordinal);
        Assert.Equal(Policy("testing"), await ServedAsync("a.example"));
        Assert.Equal(["v=STSv1; id=20261129140000"], await _bind.TxtAsync("_mta-sts.a.example"));

        // Any other verdict: no step, and why.
        (code, output, _) = await CliAsync("readiness", "a.example", "--apply");
        Assert.Equal(0, code);
        Assert.Contains("a.example  UNCHANGED  v3 testing id=20261129140000  -", output, StringComparison.Ordinal);
        Assert.Contains("in mode testing: no step to take; nothing changed.", output, StringComparison.Ordinal);

        var history = await _policies.GetPolicyHistoryAsync(new GetPolicyRequest { Domain = "a.example" });
        Assert.Equal(
            [(3, "testing", "apply", ReadinessOutcome.RollBack, PolicyState.Confirmed, true), (2, "enforce", "apply", ReadinessOutcome.Ready, PolicyState.Confirmed, false),
             (1, "testing", "settings", ReadinessOutcome.Unspecified, PolicyState.Served, false)],
            history.Versions.Select(v => (v.Version, v.Mode, v.Origin, v.Verdict, v.State, v.Served)));
        var (historyCode, table, _) = await CliAsync("policy", "history", "a.example");
        Assert.Equal(0, historyCode);
        Assert.Contains("*3       2026-11-29T14:00:00Z  testing  20261129140000  confirmed  a local caller (Security:Authentication=None)  apply     ROLL_BACK", table, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_step_whose_dns_update_is_refused_leaves_the_old_policy_in_force_and_says_so()
    {
        _daemon.Clock.Now = InProcessDaemon.DefaultNow.AddHours(1);

        var (code, output, error) = await CliAsync("readiness", "b.example", "--apply", "--wait", "5s");

        Assert.Equal((1, ""), (code, error));
        Assert.Contains("b.example  FAILED   v1 testing id=20261129120000  v2 enforce id=20261129130000", output, StringComparison.Ordinal);
        Assert.Contains($"The DNS update failed: 127.0.0.1:{_bind.Port} refused the update of _mta-sts.b.example in zone b.example: REFUSED", output, StringComparison.Ordinal);
        Assert.Contains("Version 2 was withdrawn; version 1 (mode testing, id 20261129120000) stays in force.", output, StringComparison.Ordinal);
        Assert.Equal(Policy("testing", "b.example"), await ServedAsync("b.example"));
        Assert.Equal([$"v=STSv1; id={SeedId}"], await _bind.TxtAsync("_mta-sts.b.example"));
        var history = await _policies.GetPolicyHistoryAsync(new GetPolicyRequest { Domain = "b.example" });
        Assert.Equal([(2, PolicyState.Failed, false), (1, PolicyState.Served, true)], history.Versions.Select(v => (v.Version, v.State, v.Served)));
        Assert.StartsWith("The DNS update failed:", history.Versions[0].Outcome, StringComparison.Ordinal);
        // The next attempt starts from version 1 again (and gets a new number).
        Assert.Equal(1, (await _policies.GetPolicyAsync(new GetPolicyRequest { Domain = "b.example" })).Version);
    }

    [Fact]
    public async Task Changes_that_would_break_delivery_are_refused_unless_forced_and_the_forcing_is_recorded()
    {
        // An mx list that leaves out the live MX host.
        var uncovered = await _policies.SetPolicyAsync(new SetPolicyRequest { Domain = "a.example", Mx = { "mx2.a.example" } });
        Assert.Equal(ChangeOutcome.Refused, uncovered.Outcome);
        Assert.Equal(["mx-not-covered"], uncovered.Refusals.Select(r => r.Code));
        Assert.Contains("mx.a.example", uncovered.Refusals[0].Message, StringComparison.Ordinal);

        // Enforce without evidence (c has no reports: INSUFFICIENT_DATA).
        var (code, output, _) = await CliAsync("policy", "set", "c.example", "--mode", "enforce");
        Assert.Equal(1, code);
        Assert.Contains("c.example  REFUSED  v1 testing id=20261129120000  v2 enforce id=202611291200001", output, StringComparison.Ordinal);
        Assert.Contains("Refused, nothing changed: it would break delivery (enforce-not-ready). Add --force to override (it is recorded).", output, StringComparison.Ordinal);
        Assert.Contains("enforce-not-ready  Readiness is INSUFFICIENT_DATA, not READY", output, StringComparison.Ordinal);
        Assert.Equal(Policy("testing", "c.example"), await ServedAsync("c.example"));

        var forced = await _policies.SetPolicyAsync(new SetPolicyRequest { Domain = "c.example", Mode = "enforce", Force = true, Reason = "vendor deadline" });
        Assert.Equal((ChangeOutcome.Changed, true, true), (forced.Outcome, forced.DnsUpdated, forced.After.Forced));
        Assert.StartsWith("enforce-not-ready: Readiness is INSUFFICIENT_DATA", Assert.Single(forced.After.Overridden), StringComparison.Ordinal);
        Assert.Equal(Policy("enforce", "c.example"), await ServedAsync("c.example"));
        Assert.Equal(["v=STSv1; id=202611291200001"], await _bind.TxtAsync("_mta-sts.c.example"));
        var recorded = await _policies.GetPolicyAsync(new GetPolicyRequest { Domain = "c.example" });
        Assert.Equal((2, true, "vendor deadline", ReadinessOutcome.InsufficientData), (recorded.Version, recorded.Forced, recorded.Reason, recorded.Verdict));
        Assert.Equal(forced.After.Overridden, recorded.Overridden);

        // Nothing was stored for the refusals.
        Assert.Single((await _policies.GetPolicyHistoryAsync(new GetPolicyRequest { Domain = "a.example" })).Versions);
    }

    [Fact]
    public async Task A_domain_added_through_the_api_is_served_published_and_confirmed()
    {
        var added = await _policies.SetPolicyAsync(new SetPolicyRequest { Domain = "D.example.", Mode = "testing", Mx = { "mx.d.example" }, Reason = "new brand" });

        Assert.Equal((ChangeOutcome.Changed, 1, "testing", 604800L), (added.Outcome, added.After.Version, added.After.Mode, added.After.MaxAge));
        Assert.Equal(Policy("testing", "d.example", 604800), await ServedAsync("d.example"));
        Assert.Equal(["v=STSv1; id=20261129120000"], await _bind.TxtAsync("_mta-sts.d.example"));
        var confirmation = await _policies.ConfirmPolicyAsync(new GetPolicyRequest { Domain = "d.example" });
        Assert.True(confirmation.Confirmed, confirmation.Message);
        Assert.Equal(PolicyState.Confirmed, (await _policies.GetPolicyAsync(new GetPolicyRequest { Domain = "d.example" })).State);
        Assert.Equal(["a.example", "b.example", "c.example", "d.example"], (await _policies.ListPoliciesAsync(new ListPoliciesRequest())).Policies.Select(p => p.Domain));

        // The same again changes nothing.
        var again = await _policies.SetPolicyAsync(new SetPolicyRequest { Domain = "d.example", Mode = "testing" });
        Assert.Equal(ChangeOutcome.Unchanged, again.Outcome);

        // A domain no certificate names, and a policy senders would refuse, change nothing.
        var uncovered = await Assert.ThrowsAsync<RpcException>(() => _policies.SetPolicyAsync(new SetPolicyRequest { Domain = "e.example", Mx = { "mx.e.example" } }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, uncovered.StatusCode);
        Assert.Contains("no certificate of PolicyHosting:Certificates names mta-sts.e.example", uncovered.Status.Detail, StringComparison.Ordinal);
        var invalid = await Assert.ThrowsAsync<RpcException>(() => _policies.SetPolicyAsync(new SetPolicyRequest { Domain = "d.example", MaxAge = 31_557_601 }).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "the policy would not be valid: line 4: max_age '31557601' is not a number of seconds up to 31557600."),
            (invalid.StatusCode, invalid.Status.Detail));
        var unknown = await Assert.ThrowsAsync<RpcException>(() => _policies.ApplyReadinessAsync(new ApplyReadinessRequest { Domain = "e.example" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Single((await _policies.GetPolicyHistoryAsync(new GetPolicyRequest { Domain = "d.example" })).Versions);
    }

    [Fact]
    public async Task Without_dynamic_dns_the_command_prints_the_record_and_confirms_once_it_appears()
    {
        await _daemon.RestartAsync(_args);
        _daemon.Clock.Now = InProcessDaemon.DefaultNow.AddHours(1);

        var (code, output, error) = await CliAsync("policy", "set", "a.example", "--max-age", "172800", "--wait", "0");

        Assert.Equal((MtaStsReporting.Daemon.PolicyHosting.PolicyCommands.NotYetConfirmed, ""), (code, error));
        Assert.Contains("Version 2 is served. Publish _mta-sts.a.example. TXT \"v=STSv1; id=20261129130000\" now", output, StringComparison.Ordinal);
        Assert.Contains($"Not yet: DNS gives id {SeedId}, waiting for _mta-sts.a.example. TXT \"v=STSv1; id=20261129130000\"; the policy fetched is version 2.", output, StringComparison.Ordinal);
        Assert.Equal(Policy("testing", maxAge: 172800), await ServedAsync("a.example"));

        // The admin publishes the record (here through BIND with the test's key).
        var publisher = new MtaStsReporting.Daemon.PolicyHosting.StsRecordUpdater(Microsoft.Extensions.Options.Options.Create(new MtaStsReporting.Daemon.PolicyHosting.PolicyHostingOptions
        {
            DnsUpdate = new() { Server = $"127.0.0.1:{_bind.Port}", KeyFile = _bind.KeyFile },
        }));
        Assert.True((await publisher.PublishAsync("a.example", new StsRecord("20261129130000"), CancellationToken.None)).Succeeded);

        (code, output, _) = await CliAsync("policy", "confirm", "a.example", "--wait", "10s");
        Assert.Equal(0, code);
        Assert.Contains("serves version 2: confirmed.", output, StringComparison.Ordinal);
        var (_, shown, _) = await CliAsync("policy", "show", "a.example");
        Assert.StartsWith("a.example: version 2, confirmed, made 2026-11-29T13:00:00Z by a local caller (Security:Authentication=None) (set)\n", shown, StringComparison.Ordinal);
        Assert.Contains("DNS: _mta-sts.a.example. TXT \"v=STSv1; id=20261129130000\"", shown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_history_names_the_key_that_made_the_change()
    {
        await _daemon.RestartAsync([.. _args, .. _bind.UpdateArgs, "--Security:Authentication=ApiKeys"]);
        var (info, key) = await _daemon.Services.GetRequiredService<MtaStsReporting.Persistence.Security.ApiKeyStore>()
            .CreateAsync("ops", MtaStsReporting.Domain.Access.Role.Admin, CancellationToken.None);
        var policies = new Policies.PoliciesClient(_daemon.Channel);

        var change = await policies.SetPolicyAsync(new SetPolicyRequest { Domain = "a.example", MaxAge = 172800, Reason = "longer cache" },
            new Metadata { { "authorization", "Bearer " + key } });

        Assert.Equal(ChangeOutcome.Changed, change.Outcome);
        var served = await policies.GetPolicyAsync(new GetPolicyRequest { Domain = "a.example" }, new Metadata { { "authorization", "Bearer " + key } });
        Assert.Equal(($"key {info.Id} (ops)", "longer cache", 172800L), (served.Actor, served.Reason, served.MaxAge));
    }

    [Fact]
    public async Task The_http_api_reads_and_changes_policies_as_json()
    {
        using var http = new HttpClient { BaseAddress = new Uri(_daemon.HttpApiUrl!) };

        using var list = JsonDocument.Parse(await http.GetStringAsync("/v1/policies"));
        using var dryRun = await http.PostAsync("/v1/domains/a.example/readiness:apply", new StringContent("""{"dryRun":true}""", System.Text.Encoding.UTF8, "application/json"));
        using var step = JsonDocument.Parse(await dryRun.Content.ReadAsStringAsync());
        using var history = JsonDocument.Parse(await http.GetStringAsync("/v1/policies/a.example/history"));

        Assert.Equal(["a.example", "b.example", "c.example"], list.RootElement.GetProperty("policies").EnumerateArray().Select(p => p.GetProperty("domain").GetString()));
        Assert.Equal(("CHANGE_OUTCOME_DRY_RUN", "enforce", "READINESS_OUTCOME_READY"),
            (step.RootElement.GetProperty("outcome").GetString(), step.RootElement.GetProperty("after").GetProperty("mode").GetString(),
             step.RootElement.GetProperty("verdict").GetProperty("verdict").GetString()));
        Assert.Equal(1, history.RootElement.GetProperty("versions").GetArrayLength());
    }

    [Fact]
    public async Task A_change_made_through_another_instance_is_served_after_the_refresh_interval()
    {
        // As another instance on the same store would: a version written straight to the store.
        var store = _daemon.Services.GetRequiredService<MtaStsReporting.Persistence.Store.ReportingStore>();
        var written = await store.Policies.ServeAsync(
            new MtaStsReporting.Persistence.Policies.NewPolicyVersion("a.example", "20261129130000", Policy("enforce"), "other instance", "set", "", [], "", ""),
            1, CancellationToken.None);
        Assert.NotNull(written);

        // PolicyHosting:RefreshInterval is 1 s here.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await ServedAsync("a.example") != Policy("enforce") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Equal(Policy("enforce"), await ServedAsync("a.example"));
    }
}
