using Google.Protobuf.WellKnownTypes;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Hosting;
using MtaStsReporting.Daemon.Relay;
using MtaStsReporting.Daemon.Tests.Support;
using MtaStsReporting.Domain.RelayOutcomes;
using static MtaStsReporting.Daemon.Tests.Support.Outcomes;
using FetchedPolicy = MtaStsReporting.Api.V1.FetchedPolicy;

namespace MtaStsReporting.Daemon.Tests.Relay;

/// <summary>Every rule of the relay API: a valid batch spoiled one way at a time.</summary>
public class RelayRequestReaderTests
{
    private static readonly DateTimeOffset Now = InProcessDaemon.DefaultNow;
    private readonly RelayRequestReader _reader = new(new RelayOptions(), new FixedTimeProvider(Now));

    private static OutcomeBatch Valid()
    {
        var batch = Batch("ok", Success("example.com", Now), Failure("example.com", Now, ResultType.CertificateExpired));
        batch.PolicyFetchOutcomes.Add(FetchOk("example.com", Now));
        batch.PolicyFetchOutcomes.Add(FetchFailed("example.com", Now, 500, "HTTP 500"));
        batch.DailyCounts.Add(Daily("2026-11-29"));
        return batch;
    }

    /// <summary>A day as the forwarder sends it: 3 successes, 2 failures, 3 detail counts (a failure may have several details).</summary>
    private static DailyCounts Daily(string day) => new()
    {
        PolicyDomain = "example.com",
        Day = day,
        Policy = StsTesting(),
        Successes = 3,
        Failures = 2,
        TlsrptRecord = "v=TLSRPTv1; rua=mailto:tlsrpt@example.com",
        FailureDetails =
        {
            new Api.V1.FailureDetailCount { Failure = new Api.V1.FailureDetail { ResultType = ResultType.CertificateExpired, SendingMtaIp = "192.0.2.1" }, Count = 2 },
            new Api.V1.FailureDetailCount { Failure = new Api.V1.FailureDetail { ResultType = ResultType.CertificateHostMismatch, ReceivingMxHostname = "mx1.example.com" }, Count = 1 },
        },
    };

    public static TheoryData<string, Action<OutcomeBatch>, string> Spoilers => new()
    {
        { "empty domain", b => b.SessionOutcomes[0].PolicyDomain = "", "session_outcomes[0].policy_domain" },
        { "bad domain", b => b.SessionOutcomes[1].PolicyDomain = "exa mple.com", "session_outcomes[1].policy_domain" },
        { "single label", b => b.SessionOutcomes[0].PolicyDomain = "localhost", "session_outcomes[0].policy_domain" },
        { "no time", b => b.SessionOutcomes[0].Time = null, "session_outcomes[0].time" },
        { "future time", b => b.SessionOutcomes[1].Time = Timestamp.FromDateTimeOffset(Now.AddHours(1)), "session_outcomes[1].time" },
        { "years old", b => b.SessionOutcomes[0].Time = Timestamp.FromDateTimeOffset(Now.AddYears(-3)), "session_outcomes[0].time" },
        { "bad nanos", b => b.SessionOutcomes[0].Time.Nanos = -1, "session_outcomes[0].time" },
        { "zero count", b => b.SessionOutcomes[0].Count = 0, "session_outcomes[0].count" },
        { "negative count", b => b.SessionOutcomes[1].Count = -5, "session_outcomes[1].count" },
        { "huge count", b => b.SessionOutcomes[1].Count = 2_000_000_000, "session_outcomes[1].count" },
        { "no policy", b => b.SessionOutcomes[0].Policy = null, "session_outcomes[0].policy" },
        { "unspecified policy type", b => b.SessionOutcomes[0].Policy.PolicyType = PolicyType.Unspecified, "session_outcomes[0].policy.policy_type" },
        { "unknown policy type", b => b.SessionOutcomes[0].Policy.PolicyType = (PolicyType)42, "session_outcomes[0].policy.policy_type" },
        { "no-policy-found with lines", b => b.SessionOutcomes[0].Policy.PolicyType = PolicyType.NoPolicyFound, "session_outcomes[0].policy" },
        { "bad mx pattern", b => b.SessionOutcomes[0].Policy.MxHost.Add("*.*.example.com"), "session_outcomes[0].policy.mx_host[2]" },
        { "control char in policy line", b => b.SessionOutcomes[0].Policy.PolicyString[1] = "mode: testing\u0000", "session_outcomes[0].policy.policy_string[1]" },
        { "overlong policy line", b => b.SessionOutcomes[0].Policy.PolicyString[1] = new string('x', 1025), "session_outcomes[0].policy.policy_string[1]" },
        { "too many mx", b => b.SessionOutcomes[0].Policy.MxHost.AddRange(Enumerable.Range(0, 100).Select(i => $"mx{i}.example.com")), "session_outcomes[0].policy.mx_host" },
        { "unspecified result type", b => b.SessionOutcomes[1].Failure.ResultType = ResultType.Unspecified, "session_outcomes[1].failure.result_type" },
        { "unknown result type", b => b.SessionOutcomes[1].Failure.ResultType = (ResultType)99, "session_outcomes[1].failure.result_type" },
        { "bad sending ip", b => b.SessionOutcomes[1].Failure.SendingMtaIp = "1.2.3", "session_outcomes[1].failure.sending_mta_ip" },
        { "bad receiving ip", b => b.SessionOutcomes[1].Failure.ReceivingIp = "mx.example.com", "session_outcomes[1].failure.receiving_ip" },
        { "scoped ipv6", b => b.SessionOutcomes[1].Failure.ReceivingIp = "fe80::1%eth0", "session_outcomes[1].failure.receiving_ip" },
        { "bad mx host name", b => b.SessionOutcomes[1].Failure.ReceivingMxHostname = "mx_1.example.com", "session_outcomes[1].failure.receiving_mx_hostname" },
        { "overlong helo", b => b.SessionOutcomes[1].Failure.ReceivingMxHelo = new string('h', 256), "session_outcomes[1].failure.receiving_mx_helo" },
        { "newline in reason", b => b.SessionOutcomes[1].Failure.FailureReasonCode = "a\nb", "session_outcomes[1].failure.failure_reason_code" },
        { "overlong info", b => b.SessionOutcomes[1].Failure.AdditionalInformation = new string('i', 2049), "session_outcomes[1].failure.additional_information" },
        { "fetch bad domain", b => b.PolicyFetchOutcomes[0].PolicyDomain = "-x.example", "policy_fetch_outcomes[0].policy_domain" },
        { "fetch future", b => b.PolicyFetchOutcomes[1].Time = Timestamp.FromDateTimeOffset(Now.AddDays(1)), "policy_fetch_outcomes[1].time" },
        { "fetch bad txt id", b => b.PolicyFetchOutcomes[0].TxtId = "not-alnum", "policy_fetch_outcomes[0].txt_id" },
        { "fetch long txt id", b => b.PolicyFetchOutcomes[0].TxtId = new string('a', 33), "policy_fetch_outcomes[0].txt_id" },
        { "fetch no result", b => b.PolicyFetchOutcomes[0].ClearResult(), "policy_fetch_outcomes[0]" },
        { "fetch invalid text", b => b.PolicyFetchOutcomes[0].Policy.PolicyText = "version: STSv1\nmode: sometimes\n", "policy_fetch_outcomes[0].policy.policy_text" },
        { "fetch text too large", b => b.PolicyFetchOutcomes[0].Policy.PolicyText = "version: STSv1\n" + new string('#', 70_000), "policy_fetch_outcomes[0].policy.policy_text" },
        { "fetch fields disagree", b => { var p = b.PolicyFetchOutcomes[0].Policy; p.Mode = StsPolicyMode.Enforce; p.MaxAge = 86400; p.Mx.Add(["mx1.example.com", "*.backup.example.com"]); }, "policy_fetch_outcomes[0].policy" },
        { "short ipv4", b => b.SessionOutcomes[1].Failure.ReceivingIp = "10.1", "session_outcomes[1].failure.receiving_ip" },
        { "leading zero ipv4", b => b.SessionOutcomes[1].Failure.ReceivingIp = "010.0.0.1", "session_outcomes[1].failure.receiving_ip" },
        { "fetch fields only, no mode", b => b.PolicyFetchOutcomes[0].Policy = new FetchedPolicy { MaxAge = 10, Mx = { "mx.example.com" } }, "policy_fetch_outcomes[0].policy.mode" },
        { "fetch fields only, no mx", b => b.PolicyFetchOutcomes[0].Policy = new FetchedPolicy { Mode = StsPolicyMode.Enforce, MaxAge = 10 }, "policy_fetch_outcomes[0].policy.mx" },
        { "fetch fields only, max_age", b => b.PolicyFetchOutcomes[0].Policy = new FetchedPolicy { Mode = StsPolicyMode.None, MaxAge = 31557601 }, "policy_fetch_outcomes[0].policy.max_age" },
        { "fetch failure not sts", b => b.PolicyFetchOutcomes[1].Failure.ResultType = ResultType.CertificateExpired, "policy_fetch_outcomes[1].failure.result_type" },
        { "fetch failure bad http", b => b.PolicyFetchOutcomes[1].Failure.HttpStatus = 999, "policy_fetch_outcomes[1].failure.http_status" },
        { "daily bad domain", b => b.DailyCounts[0].PolicyDomain = "exa mple.com", "daily_counts[0].policy_domain" },
        { "daily not a day", b => b.DailyCounts[0].Day = "29.11.2026", "daily_counts[0].day" },
        { "daily no day", b => b.DailyCounts[0].Day = "", "daily_counts[0].day" },
        { "daily tomorrow", b => b.DailyCounts[0].Day = "2026-11-30", "daily_counts[0].day" },
        { "daily too old", b => b.DailyCounts[0].Day = "2026-10-29", "daily_counts[0].day" },
        { "daily nothing counted", b => { b.DailyCounts[0].Successes = 0; b.DailyCounts[0].Failures = 0; }, "daily_counts[0]" },
        { "daily negative", b => b.DailyCounts[0].Failures = -1, "daily_counts[0]" },
        { "daily huge", b => b.DailyCounts[0].Successes = 1_000_000_001, "daily_counts[0]" },
        { "daily no policy", b => b.DailyCounts[0].Policy = null, "daily_counts[0].policy" },
        { "daily bad mx", b => b.DailyCounts[0].Policy.MxHost.Add("a b"), "daily_counts[0].policy.mx_host[2]" },
        { "daily detail without failure", b => b.DailyCounts[0].FailureDetails[1].Failure = null, "daily_counts[0].failure_details[1].failure" },
        { "daily detail bad ip", b => b.DailyCounts[0].FailureDetails[0].Failure.SendingMtaIp = "1.2.3", "daily_counts[0].failure_details[0].failure.sending_mta_ip" },
        { "daily detail zero", b => b.DailyCounts[0].FailureDetails[1].Count = 0, "daily_counts[0].failure_details[1].count" },
        { "daily record control char", b => b.DailyCounts[0].TlsrptRecord = "v=TLSRPTv1;\n", "daily_counts[0].tlsrpt_record" },
        { "daily record too long", b => b.DailyCounts[0].TlsrptRecord = new string('r', 2049), "daily_counts[0].tlsrpt_record" },
        { "session record control char", b => b.SessionOutcomes[1].TlsrptRecord = "v=TLSRPTv1;\u0007", "session_outcomes[1].tlsrpt_record" },
        { "session record too long", b => b.SessionOutcomes[0].TlsrptRecord = new string('r', 2049), "session_outcomes[0].tlsrpt_record" },
    };

    [Fact]
    public void A_session_outcome_may_carry_the_record_the_relay_saw_kept_for_its_day_and_an_empty_one_is_none()
    {
        var delta = new DailyOutcomeDelta();
        var batch = Batch("rec", Success("example.com", Now), Success("other.example", Now.AddDays(-2)), Success("third.example", Now));
        batch.SessionOutcomes[0].TlsrptRecord = "v=TLSRPTv1; rua=mailto:tlsrpt@example.com";
        batch.SessionOutcomes[1].TlsrptRecord = new string('r', 2048);

        Assert.Null(_reader.Read(batch, string.Empty, delta));

        Assert.Equal(
            [(DailyOutcomeDelta.UtcDay(Now), "example.com", "v=TLSRPTv1; rua=mailto:tlsrpt@example.com"), (DailyOutcomeDelta.UtcDay(Now.AddDays(-2)), "other.example", new string('r', 2048))],
            delta.TlsRptRecords.OrderBy(r => r.Key.RecipientDomain.Value).Select(r => (r.Key.Day, r.Key.RecipientDomain.Value, r.Value)));
    }

    [Fact]
    public void A_day_already_counted_is_added_as_it_is_with_its_record()
    {
        var delta = new DailyOutcomeDelta();
        var batch = new OutcomeBatch { BatchId = "fwd", DailyCounts = { Daily("2026-11-29"), Daily("2026-10-30") } };
        batch.DailyCounts[1].TlsrptRecord = "";

        Assert.Null(_reader.Read(batch, string.Empty, delta));

        var days = delta.PolicyDays.OrderBy(d => d.Key.Day).Select(d => (d.Key.Day, d.Value.Successes, d.Value.Failures)).ToList();
        Assert.Equal([(new DateOnly(2026, 10, 30), 3L, 2L), (new DateOnly(2026, 11, 29), 3L, 2L)], days);
        Assert.Equal(10, delta.SessionCount);
        Assert.Equal([1L, 1L, 2L, 2L], delta.Failures.Values.Select(f => f.Count).Order());
        Assert.Equal("v=TLSRPTv1; rua=mailto:tlsrpt@example.com", Assert.Single(delta.TlsRptRecords).Value);
        Assert.Equal(new DateOnly(2026, 11, 29), delta.TlsRptRecords.Single().Key.Day);
        Assert.Equal(6, RelayRequestReader.ItemsIn(batch));
    }

    [Theory]
    [MemberData(nameof(Spoilers))]
    public void A_broken_rule_names_the_field_and_index(string why, Action<OutcomeBatch> spoil, string field)
    {
        var batch = Valid();
        Assert.Null(_reader.Read(batch, string.Empty, new DailyOutcomeDelta()));

        spoil(batch);
        var error = _reader.Read(batch, string.Empty, new DailyOutcomeDelta());

        Assert.True(error is not null, $"{why}: accepted");
        Assert.Equal(field, error.Field);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Theory]
    [InlineData("", "is required")]
    [InlineData("has space", "printable ASCII")]
    [InlineData("é", "printable ASCII")]
    public void Batch_ids_are_checked(string id, string because)
    {
        var error = RelayRequestReader.CheckBatchId(id);
        Assert.NotNull(error);
        Assert.Contains(because, error.Message);
        Assert.NotNull(RelayRequestReader.CheckBatchId(new string('a', 129)));
        Assert.Null(RelayRequestReader.CheckBatchId("0b7e6f1c-5d0a-4a4e-9d0e-3f3f5c1f2a10"));
    }

    [Fact]
    public void Fetched_policy_fields_alone_are_enough()
    {
        var batch = Valid();
        batch.PolicyFetchOutcomes[0].Policy = new FetchedPolicy { Mode = StsPolicyMode.Enforce, MaxAge = 604800, Mx = { "MX1.example.com." } };
        var delta = new DailyOutcomeDelta();
        Assert.Null(_reader.Read(batch, string.Empty, delta));
        var fetched = delta.Fetches.Values.Single(f => f.Outcome.Policy is not null).Outcome.Policy!;
        Assert.Null(fetched.Text);
        Assert.Equal("mx1.example.com", fetched.Policy.Mx.Single().Value);
    }

    [Fact]
    public void Fields_that_agree_with_the_text_are_accepted()
    {
        var batch = Valid();
        batch.PolicyFetchOutcomes[0].Policy.Mode = StsPolicyMode.Testing;
        batch.PolicyFetchOutcomes[0].Policy.MaxAge = 86400;
        batch.PolicyFetchOutcomes[0].Policy.Mx.Add(["mx1.example.com", "*.backup.example.com"]);
        Assert.Null(_reader.Read(batch, string.Empty, new DailyOutcomeDelta()));
    }

    [Fact]
    public void Idn_domains_and_mx_hosts_are_stored_as_a_labels()
    {
        var batch = Batch("idn", Failure("BÜCHER.example.", Now, ResultType.CertificateHostMismatch, mx: "MX.Bücher.example"));
        var delta = new DailyOutcomeDelta();
        Assert.Null(_reader.Read(batch, string.Empty, delta));
        var failure = delta.Failures.Single();
        Assert.Equal("xn--bcher-kva.example", failure.Key.PolicyDomain.Value);
        Assert.Equal("mx.xn--bcher-kva.example", failure.Value.Detail.ReceivingMxHostname);
    }

    [Fact]
    public void Outcomes_just_inside_the_time_window_are_accepted()
    {
        var batch = Batch("edges", Success("example.com", Now.AddMinutes(5)), Success("example.com", Now.AddDays(-30)));
        Assert.Null(_reader.Read(batch, string.Empty, new DailyOutcomeDelta()));
    }
}
