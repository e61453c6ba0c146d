using MtaStsReporting.Domain.RelayOutcomes;
using MtaStsReporting.Domain.TlsRpt;

namespace MtaStsReporting.Domain.Tests;

public class InboundDailyDeltaTests
{
    private static readonly string[] Testing = ["version: STSv1", "mode: testing", "mx: mx.example.com", "max_age: 86400"];
    private static readonly string[] Enforce = ["version: STSv1", "mode: enforce", "mx: mx.example.com", "max_age: 86400"];

    private static TlsReportFailureDetail Detail(string type, long count, string? sendingIp = "203.0.113.1", string? mx = "mx.example.com", string? receivingIp = "192.0.2.25") =>
        new(type, sendingIp, mx, "helo.example.com", receivingIp, count, "info", "code");

    private static TlsReportPolicy Policy(string? domain, long ok, long failed, string[]? lines = null, params TlsReportFailureDetail[] details) =>
        new("sts", lines ?? Testing, domain, ["mx.example.com"], ok, failed, details);

    private static TlsReport Report(string org, DateTimeOffset start, params TlsReportPolicy[] policies) =>
        new(org, "mailto:r@" + org, "id-" + org, start, start.AddDays(1).AddSeconds(-1), policies, []);

    private static readonly DateTimeOffset Day1 = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    private static string Key(string[] lines) => PolicyContent.Key("sts", lines, ["mx.example.com"]);

    [Fact]
    public void A_report_counts_on_the_utc_day_it_starts_per_domain_reporter_and_policy()
    {
        var delta = new InboundDailyDelta();
        // 23:30 at -01:00 is already 00:30 UTC on the 2nd.
        delta.Add(Report("A", new DateTimeOffset(2026, 11, 1, 23, 30, 0, TimeSpan.FromHours(-1)), Policy("example.com", 10, 2, null, Detail("certificate-expired", 2))));
        delta.Add(Report("A", Day1, Policy("example.com", 5, 0)));
        delta.Add(Report("B", Day1, Policy("example.com", 7, 1, Enforce, Detail("starttls-not-supported", 1))));

        var rows = delta.Days.OrderBy(kv => kv.Key.Day).ThenBy(kv => kv.Key.OrganizationName, StringComparer.Ordinal)
            .Select(kv => (kv.Key.Day.Day, kv.Key.PolicyDomain, kv.Key.OrganizationName, kv.Key.PolicyKey == Key(Enforce), kv.Value.Successes, kv.Value.Failures, kv.Value.Reports));
        Assert.Equal(
            [(1, "example.com", "A", false, 5L, 0L, 1L), (1, "example.com", "B", true, 7L, 1L, 1L), (2, "example.com", "A", false, 10L, 2L, 1L)],
            rows);
        Assert.Equal(2, delta.Policies.Count);
        Assert.Equal("enforce", delta.Policies[Key(Enforce)].Mode);
        Assert.Equal(["mx.example.com"], delta.Policies[Key(Enforce)].MxHosts);
        Assert.Equal(Enforce, delta.Policies[Key(Enforce)].PolicyStrings);
        Assert.Equal("sts", delta.Policies[Key(Testing)].PolicyType);
    }

    [Fact]
    public void Reports_add_up_and_a_report_listing_a_policy_twice_is_one_report()
    {
        var delta = new InboundDailyDelta();
        delta.Add(Report("A", Day1, Policy("example.com", 10, 1, null, Detail("certificate-expired", 1)), Policy("example.com", 4, 3, null, Detail("certificate-expired", 3))));
        delta.Add(Report("A", Day1.AddHours(2), Policy("example.com", 1, 0)));

        var row = Assert.Single(delta.Days).Value;
        Assert.Equal((15L, 4L, 2L), (row.Successes, row.Failures, row.Reports));
        var failure = Assert.Single(delta.Failures).Value;
        Assert.Equal(("certificate-expired", "203.0.113.1", "mx.example.com", "192.0.2.25", 4L),
            (failure.ResultType, failure.SendingMtaIp, failure.ReceivingMxHostname, failure.ReceivingIp, failure.Count));
    }

    public static TheoryData<TlsReportFailureDetail, TlsReportFailureDetail, int> DetailPairs => new()
    {
        // Grouped by result type, sending IP, receiving MX and receiving IP; HELO, code and text do not split a row.
        { Detail("certificate-expired", 1), Detail("certificate-expired", 1) with { ReceivingMxHelo = "other", FailureReasonCode = "x", AdditionalInformation = "y" }, 1 },
        { Detail("certificate-expired", 1), Detail("certificate-not-trusted", 1), 2 },
        { Detail("certificate-expired", 1), Detail("certificate-expired", 1, sendingIp: "203.0.113.2"), 2 },
        { Detail("certificate-expired", 1), Detail("certificate-expired", 1, mx: "mx2.example.com"), 2 },
        { Detail("certificate-expired", 1), Detail("certificate-expired", 1, receivingIp: "192.0.2.26"), 2 },
        // An absent field is one value of its own, the same in every report.
        { Detail("certificate-expired", 1, sendingIp: null), Detail("certificate-expired", 1, sendingIp: null), 1 },
    };

    [Theory]
    [MemberData(nameof(DetailPairs))]
    public void Failure_details_are_kept_apart_by_what_queries_group_by(TlsReportFailureDetail first, TlsReportFailureDetail second, int rows)
    {
        var delta = new InboundDailyDelta();
        delta.Add(Report("A", Day1, Policy("example.com", 0, 2, null, first, second)));

        Assert.Equal(rows, delta.Failures.Count);
        Assert.Equal(2, delta.Failures.Values.Sum(f => f.Count));
    }

    [Fact]
    public void A_policy_without_a_domain_stays_out_of_the_roll_up()
    {
        var delta = new InboundDailyDelta();
        delta.Add(Report("A", Day1, Policy(null, 10, 1, null, Detail("certificate-expired", 1)), Policy("example.com", 2, 0)));

        var row = Assert.Single(delta.Days);
        Assert.Equal(("example.com", 2L), (row.Key.PolicyDomain, row.Value.Successes));
        Assert.Empty(delta.Failures);
        Assert.Single(delta.Policies);
        Assert.Throws<ArgumentNullException>(() => delta.Add(null!));
    }

    [Fact]
    public void The_words_moved_into_the_domain_read_as_before()
    {
        Assert.Equal("none", DkimVerdict.None.Result);
        Assert.Null(DkimVerdict.None.Domain);
        Assert.Null(DkimVerdict.None.Detail);
        Assert.Equal("session_outcomes[3].failure.receiving_ip: not an IP address", new FieldError("session_outcomes[3].failure.receiving_ip", "not an IP address").ToString());
    }
}
