using MtaStsReporting.Domain.MtaSts;
using MtaStsReporting.Domain.Readiness;

namespace MtaStsReporting.Domain.Tests;

/// <summary>
/// What automation files in a change ticket: every reason's exact words and evidence, and the
/// thresholds of the enforce rules at their exact values. Each expected string is written out
/// here from the inputs, not copied from a run.
/// </summary>
public class ReadinessMessageTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 9, 30, 0, TimeSpan.Zero);
    private static readonly DateOnly Today = DateOnly.FromDateTime(Now.UtcDateTime);
    private static readonly string[] Testing = ["version: STSv1", "mode: testing", "mx: mx1.example.com", "max_age: 604800"];
    private static readonly string[] Enforce = ["version: STSv1", "mode: enforce", "mx: mx1.example.com", "max_age: 604800"];
    private static readonly string[] Old = ["version: STSv1", "mode: testing", "mx: mx0.example.com", "max_age: 86400"];

    private static LiveFindings Live(string[] lines, string[]? mx = null, IReadOnlyList<MxProbe>? probes = null) => new(
        new StsRecord("abc123"), null, StsPolicy.Parse(string.Join('\n', lines)).Policy, null, mx ?? ["mx1.example.com"],
        probes ?? [new MxProbe("mx1.example.com", "192.0.2.1", ProbeStatus.Secured, true, true, 200, null)]);

    private static ReportDay Day(int daysAgo, string org, long ok, string[] lines, params (string Type, string Mx, long Count)[] failures) => new(
        Today.AddDays(-daysAgo), org, "sts", lines, ok, failures.Sum(f => f.Count),
        failures.GroupBy(f => f.Type).ToDictionary(g => g.Key, g => g.Sum(f => f.Count)),
        failures.GroupBy(f => f.Mx).ToDictionary(g => g.Key, g => g.Sum(f => f.Count)));

    private static Reason Reason(ReadinessResult result, string code) => result.Reasons.Single(r => r.Code == code);

    private static string Evidence(Reason reason) => string.Join("; ", reason.Evidence.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}={e.Value}"));

    [Fact]
    public void A_young_policy_with_stale_reporters_and_failures_explains_each_reason()
    {
        // Reports of the current policy on days 7, 6 and 1 ago (a gap of 4 days), from Alpha and Beta;
        // B still applies the old policy on day 1 too; a gap; failures of several kinds.
        var reports = new List<ReportDay>
        {
            Day(12, "Zeta", 50, Old, ("certificate-expired", "mx0.example.com", 9)), // older policy: not counted against the current one
            Day(7, "Alpha", 100, Testing, ("starttls-not-supported", "mx1.example.com", 2)),
            Day(7, "Beta", 100, Testing),
            Day(6, "Alpha", 100, Testing),
            Day(1, "Alpha", 100, Testing, ("sts-policy-fetch-error", "", 3), ("dnssec-invalid", "mx9.other.example", 4)),
            Day(1, "Beta", 40, Old),
        };
        var result = ReadinessEvaluator.Evaluate(Live(Testing), reports, new ReadinessRules(), Now);

        Assert.Equal(Verdict.NotReady, result.Verdict);
        // Blocking first, then insufficient, then warnings, then information.
        Assert.Equal(["enforce-would-block", "policy-host", "mx-seen-not-covered", "reporters-see-old-policy", "observation-period", "coverage-gap", "reporters", "sessions", "failure-rate", "policy-changed", "evidence"],
            result.Reasons.Select(r => r.Code));
        Assert.Equal([Severity.Blocking, Severity.Blocking, Severity.Blocking, Severity.Insufficient, Severity.Insufficient, Severity.Insufficient, Severity.Insufficient, Severity.Insufficient, Severity.Warning, Severity.Info, Severity.Info],
            result.Reasons.Select(r => r.Severity));

        var block = Reason(result, "enforce-would-block");
        Assert.Equal("2 sessions failed in ways enforce would refuse; at most 0 are allowed.", block.Message);
        Assert.Equal("by-mx=mx1.example.com=2; by-result-type=starttls-not-supported=2; first-day=2026-11-22; last-day=2026-11-22; reporters=Alpha", Evidence(block));

        var host = Reason(result, "policy-host");
        Assert.Equal("Reporters failed to fetch or read the policy 3 times: fix the policy host first.", host.Message);
        Assert.Equal("by-result-type=sts-policy-fetch-error=3; first-day=2026-11-28; last-day=2026-11-28", Evidence(host));

        var uncovered = Reason(result, "mx-seen-not-covered");
        Assert.Equal("Reporters delivered to MX hosts that no mx line of the policy matches.", uncovered.Message);
        Assert.Equal("mx=mx9.other.example", Evidence(uncovered));

        var stale = Reason(result, "reporters-see-old-policy");
        Assert.Equal("On 2026-11-28 reporters still applied another policy than the one published; senders refetch only when the _mta-sts id changes: check that it changed with the policy.", stale.Message);
        Assert.Equal("reporters=Beta; txt-id=abc123", Evidence(stale));

        var period = Reason(result, "observation-period");
        Assert.Equal("Reports of the current policy cover 7 days; 21 are needed.", period.Message);
        Assert.Equal("days=7; first-day=2026-11-22", Evidence(period));

        var gap = Reason(result, "coverage-gap");
        Assert.Equal("No report of the current policy for 4 days after 2026-11-23; at most 3 in a row are allowed.", gap.Message);
        Assert.Equal("days-covered=3; gap-after=2026-11-23; gap-days=4", Evidence(gap));

        var reporters = Reason(result, "reporters");
        Assert.Equal("0 reporters sent sts results for the current policy on at least 7 days; 2 are needed.", reporters.Message);
        Assert.Equal("reporters=; silent-on-sts=Zeta; too-few-days=Alpha,Beta", Evidence(reporters));

        var sessions = Reason(result, "sessions");
        Assert.Equal("409 sessions were reported under the current policy; 500 are needed.", sessions.Message);
        Assert.Equal("sessions=409", Evidence(sessions));

        var rate = Reason(result, "failure-rate");
        Assert.Equal("9 of 409 sessions failed (2.20%, above 1.00%).", rate.Message);
        Assert.Equal("failures=9; sessions=409", Evidence(rate));

        Assert.Equal("Reporters saw another policy during the window; only reports of the current policy count.", Reason(result, "policy-changed").Message);
        Assert.Equal("other-policy-days=2026-11-17,2026-11-28", Evidence(Reason(result, "policy-changed")));

        var evidence = Reason(result, "evidence");
        Assert.Equal("409 sessions (9 failed) reported under the current policy on 3 days by 0 reporters; 409 of them in verified reports (DKIM pass or imported by an admin).", evidence.Message);
        Assert.Equal("days-covered=3; failures=9; first-day=2026-11-22; last-day=2026-11-28; reporters=; sessions=409; verified-sessions=409; verified-share=1", Evidence(evidence));
    }
}

/// <summary>The enforce rules at their thresholds: the recent days, the roll-back rate, today's partial reports.</summary>
public class EnforceThresholdTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 9, 30, 0, TimeSpan.Zero);
    private static readonly DateOnly Today = DateOnly.FromDateTime(Now.UtcDateTime);
    private static readonly string[] Enforce = ["version: STSv1", "mode: enforce", "mx: mx1.example.com", "max_age: 604800"];

    private static LiveFindings Live() => new(new StsRecord("abc123"), null, StsPolicy.Parse(string.Join('\n', Enforce)).Policy, null, ["mx1.example.com"],
        [new MxProbe("mx1.example.com", "192.0.2.1", ProbeStatus.Secured, true, true, 200, null)]);

    private static ReportDay Day(int daysAgo, long ok, string type = "certificate-expired", long failed = 0) => new(
        Today.AddDays(-daysAgo), "Google Inc.", "sts", Enforce, ok, failed,
        failed == 0 ? new Dictionary<string, long>() : new Dictionary<string, long> { [type] = failed },
        failed == 0 ? new Dictionary<string, long>() : new Dictionary<string, long> { ["mx1.example.com"] = failed });

    private static ReadinessResult Evaluate(params ReportDay[] reports) => ReadinessEvaluator.Evaluate(Live(), reports, new ReadinessRules(), Now);

    [Theory]
    // 1000 sessions over the last 3 days; the roll-back rate is 1%: 10 refused is at it, 11 is above.
    [InlineData(10, Verdict.Keep)]
    [InlineData(11, Verdict.RollBack)]
    public void The_roll_back_rate_is_a_ceiling(long refused, Verdict verdict)
    {
        var result = Evaluate(Day(1, 500 - refused, failed: refused), Day(2, 300), Day(3, 200));
        Assert.Equal(verdict, result.Verdict);
        if (verdict == Verdict.RollBack)
        {
            var reason = result.Reasons[0];
            Assert.Equal("failures-rising", reason.Code);
            Assert.Equal("11 of 1000 sessions over the last 3 days failed in ways enforce refuses (1.10%, above 1.00%).", reason.Message);
            Assert.Equal(("11", "1000", "mx1.example.com=11"), (reason.Evidence["refused"], reason.Evidence["sessions"], reason.Evidence["by-mx"]));
            Assert.Equal("version: STSv1\nmode: testing\nmx: mx1.example.com\nmax_age: 604800\n", result.NextPolicyText);
            Assert.Equal("20261129093000", result.NextId);
        }
        else
        {
            Assert.Null(result.NextPolicyText);
        }
    }

    [Theory]
    // Failures only count in the last Readiness:RecentDays (3) full days: not 4 days ago, not today's partial day.
    [InlineData(3, Verdict.RollBack)]
    [InlineData(4, Verdict.Keep)]
    [InlineData(0, Verdict.Keep)]
    public void Only_the_recent_full_days_count(int daysAgo, Verdict verdict)
    {
        var result = Evaluate(Day(1, 100), Day(daysAgo, 0, failed: 50));
        Assert.Equal(verdict, result.Verdict);
    }

    [Theory]
    [InlineData("certificate-expired", Verdict.RollBack)]
    [InlineData("certificate-host-mismatch", Verdict.RollBack)]
    [InlineData("certificate-not-trusted", Verdict.RollBack)]
    [InlineData("starttls-not-supported", Verdict.RollBack)]
    [InlineData("validation-failure", Verdict.RollBack)]
    [InlineData("dnssec-invalid", Verdict.Keep)]
    [InlineData("sts-policy-fetch-error", Verdict.Keep)]
    public void Each_result_type_that_enforce_refuses_counts(string type, Verdict verdict)
    {
        Assert.Equal(verdict, Evaluate(Day(1, 100, type, 50)).Verdict);
    }

    [Fact]
    public void No_recent_reports_is_a_warning_with_the_days()
    {
        var result = Evaluate(Day(5, 100));
        Assert.Equal(Verdict.Keep, result.Verdict);
        var reason = result.Reasons.Single();
        Assert.Equal(("no-recent-reports", Severity.Warning, "No reports for the last 3 days: nothing shows mail is refused, nor that it is not."),
            (reason.Code, reason.Severity, reason.Message));
    }
}
