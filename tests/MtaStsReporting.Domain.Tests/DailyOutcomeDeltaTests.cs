using MtaStsReporting.Domain.Names;
using MtaStsReporting.Domain.RelayOutcomes;
using MtaStsReporting.Domain.TlsRpt;

namespace MtaStsReporting.Domain.Tests;

public class DailyOutcomeDeltaTests
{
    private static readonly AppliedPolicy Sts = new(PolicyType.Sts, ["version: STSv1", "mode: testing", "mx: mx.example.com", "max_age: 86400"], ["mx.example.com"]);
    private static readonly DomainName Example = DomainName.Parse("example.com");

    private static FailureDetail Expired(string ip) => new(ResultType.CertificateExpired, ip, "mx.example.com", null, "192.0.2.25", null, null);

    [Fact]
    public void Counts_per_utc_day_domain_and_policy_like_an_rfc_8460_report()
    {
        var delta = new DailyOutcomeDelta();
        var lateOn1st = new DateTimeOffset(2026, 11, 1, 23, 59, 59, TimeSpan.Zero);
        // 00:30 at +01:00 is still 23:30 UTC on the 1st.
        var sameUtcDay = new DateTimeOffset(2026, 11, 2, 0, 30, 0, TimeSpan.FromHours(1));
        var on2nd = new DateTimeOffset(2026, 11, 2, 0, 0, 0, TimeSpan.Zero);
        delta.Add(new SessionOutcome(Example, lateOn1st, Sts, 5, null));
        delta.Add(new SessionOutcome(Example, sameUtcDay, Sts, 2, Expired("198.51.100.1")));
        delta.Add(new SessionOutcome(Example, sameUtcDay, Sts, 3, Expired("198.51.100.1")));
        delta.Add(new SessionOutcome(Example, lateOn1st, Sts, 1, Expired("198.51.100.2")));
        delta.Add(new SessionOutcome(Example, on2nd, Sts, 7, null));

        var first = delta.PolicyDays[new PolicyDayKey(new DateOnly(2026, 11, 1), Example, Sts.Key)];
        Assert.Equal((5, 6), (first.Successes, first.Failures));
        var second = delta.PolicyDays[new PolicyDayKey(new DateOnly(2026, 11, 2), Example, Sts.Key)];
        Assert.Equal((7, 0), (second.Successes, second.Failures));
        Assert.Equal(2, delta.Failures.Count);
        Assert.Equal(5, delta.Failures[new FailureDayKey(new DateOnly(2026, 11, 1), Example, Sts.Key, Expired("198.51.100.1").Key)].Count);
        Assert.Equal(18, delta.SessionCount);
        Assert.Single(delta.Policies);
    }

    [Fact]
    public void Different_policies_for_one_domain_stay_apart()
    {
        var enforce = Sts with { PolicyStrings = ["version: STSv1", "mode: enforce", "mx: mx.example.com", "max_age: 86400"] };
        var delta = new DailyOutcomeDelta();
        var t = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
        delta.Add(new SessionOutcome(Example, t, Sts, 1, null));
        delta.Add(new SessionOutcome(Example, t, enforce, 1, null));
        Assert.NotEqual(Sts.Key, enforce.Key);
        Assert.Equal(2, delta.PolicyDays.Count);
    }

    [Fact]
    public void Merging_equals_adding_everything_to_one()
    {
        var t = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
        var outcomes = Enumerable.Range(0, 40).Select(i =>
            new SessionOutcome(Example, t.AddHours(i % 30), Sts, i + 1, i % 3 == 0 ? Expired($"198.51.100.{i % 4}") : null)).ToList();

        var all = new DailyOutcomeDelta();
        outcomes.ForEach(all.Add);
        var a = new DailyOutcomeDelta();
        var b = new DailyOutcomeDelta();
        outcomes.Take(13).ToList().ForEach(a.Add);
        outcomes.Skip(13).ToList().ForEach(b.Add);
        a.Merge(b);

        Assert.Equal(all.SessionCount, a.SessionCount);
        Assert.Equal(all.PolicyDays.ToDictionary(kv => kv.Key, kv => (kv.Value.Successes, kv.Value.Failures)),
            a.PolicyDays.ToDictionary(kv => kv.Key, kv => (kv.Value.Successes, kv.Value.Failures)));
        Assert.Equal(all.Failures.ToDictionary(kv => kv.Key, kv => kv.Value.Count), a.Failures.ToDictionary(kv => kv.Key, kv => kv.Value.Count));
    }

    [Fact]
    public void Equal_fetch_outcomes_share_a_row_with_first_and_last_seen()
    {
        var policy = new FetchedPolicy(MtaSts.StsPolicy.Parse("version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 86400").Policy!, null);
        var t = new DateTimeOffset(2026, 11, 1, 8, 0, 0, TimeSpan.Zero);
        var delta = new DailyOutcomeDelta();
        delta.Add(new PolicyFetchOutcome(Example, t.AddHours(3), "20261101", policy, null));
        delta.Add(new PolicyFetchOutcome(Example, t, "20261101", policy, null));
        delta.Add(new PolicyFetchOutcome(Example, t.AddHours(1), null, null, new PolicyFetchFailure(ResultType.StsPolicyFetchError, 404, "HTTP 404")));

        Assert.Equal(2, delta.Fetches.Count);
        var success = delta.Fetches.Values.Single(f => f.Outcome.Result == "success");
        Assert.Equal((t, t.AddHours(3), 2L), (success.FirstSeen, success.LastSeen, success.Count));
        Assert.Equal(3, delta.FetchCount);
    }

    [Theory]
    // The same policy written differently: one row.
    [InlineData("version: STSv1\r\nmode: testing\r\nmx: mx.example.com\r\nmx: *.backup.example.com\r\nmax_age: 86400\r\n", true)]
    [InlineData("version: STSv1\nmode: testing\nmx: mx.example.com\nmx: *.backup.example.com\nmax_age: 86400", true)]
    [InlineData("version: STSv1\nmax_age: 86400\nmx: *.backup.example.com\nmode: testing\nmx: mx.example.com\n", true)]
    [InlineData(null, true)] // fields only
    // Another policy: its own row.
    [InlineData("version: STSv1\nmode: enforce\nmx: mx.example.com\nmx: *.backup.example.com\nmax_age: 86400\n", false)]
    [InlineData("version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 86400\n", false)]
    [InlineData("version: STSv1\nmode: testing\nmx: mx.example.com\nmx: *.backup.example.com\nmax_age: 86401\n", false)]
    public void One_policy_fetched_in_several_spellings_is_one_row(string? text, bool same)
    {
        var reference = "version: STSv1\nmode: testing\nmx: mx.example.com\nmx: *.backup.example.com\nmax_age: 86400\n";
        var t = new DateTimeOffset(2026, 11, 1, 8, 0, 0, TimeSpan.Zero);
        FetchedPolicy Fetched(string? body) => new(MtaSts.StsPolicy.Parse(body ?? reference).Policy!, body);
        var delta = new DailyOutcomeDelta();
        delta.Add(new PolicyFetchOutcome(Example, t, "20261101", Fetched(reference), null));
        delta.Add(new PolicyFetchOutcome(Example, t.AddHours(1), "20261101", Fetched(text), null));

        Assert.Equal(same ? 1 : 2, delta.Fetches.Count);
    }
}

/// <summary>Outcomes copied with <c>with</c> keep their fields and get a key of their own.</summary>
public class OutcomeCopyTests
{
    private static readonly DomainName Example = DomainName.Parse("example.com");

    [Fact]
    public void A_copied_failure_detail_keeps_its_fields_and_gets_its_own_key()
    {
        var detail = new FailureDetail(ResultType.CertificateExpired, "192.0.2.1", "mx.example.com", "helo.example.com", "192.0.2.2", "code", "info");
        var key = detail.Key; // cached before the copy
        var copy = detail with { ReceivingIp = "192.0.2.9" };

        Assert.Equal((ResultType.CertificateExpired, "192.0.2.1", "mx.example.com", "helo.example.com", "code", "info"),
            (copy.ResultType, copy.SendingMtaIp, copy.ReceivingMxHostname, copy.ReceivingMxHelo, copy.FailureReasonCode, copy.AdditionalInformation));
        Assert.NotEqual(key, copy.Key);
        Assert.Equal(key, (copy with { ReceivingIp = "192.0.2.2" }).Key);
    }

    [Fact]
    public void A_copied_fetch_outcome_keeps_its_fields_and_gets_its_own_key()
    {
        var t = new DateTimeOffset(2026, 11, 1, 8, 0, 0, TimeSpan.Zero);
        var failed = new PolicyFetchOutcome(Example, t, "1", null, new PolicyFetchFailure(ResultType.StsPolicyFetchError, 404, "HTTP 404"));
        var key = failed.Key;
        var copy = failed with { TxtId = "2" };

        Assert.Equal((Example, t, "sts-policy-fetch-error"), (copy.PolicyDomain, copy.Time, copy.Result));
        Assert.NotEqual(key, copy.Key);
        Assert.Equal(key, (copy with { TxtId = "1" }).Key);
    }

    [Fact]
    public void A_session_succeeded_when_it_has_no_failure()
    {
        var policy = new AppliedPolicy(PolicyType.Sts, ["version: STSv1"], ["mx.example.com"]);
        var t = new DateTimeOffset(2026, 11, 1, 8, 0, 0, TimeSpan.Zero);
        Assert.True(new SessionOutcome(Example, t, policy, 1, null).Succeeded);
        Assert.False(new SessionOutcome(Example, t, policy, 1, new FailureDetail(ResultType.CertificateExpired, null, null, null, null, null, null)).Succeeded);
    }
}
