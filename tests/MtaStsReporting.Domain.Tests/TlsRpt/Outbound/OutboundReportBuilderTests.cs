using System.Text;
using System.Text.Json;
using MtaStsReporting.Domain.TlsRpt;
using MtaStsReporting.Domain.TlsRpt.Outbound;

namespace MtaStsReporting.Domain.Tests.TlsRpt.Outbound;

public class OutboundReportBuilderTests
{
    private static readonly ReportSubmitter Submitter = new("Example Sender Org", "mailto:tlsrpt-contact@sender.example", "sender.example");
    private static readonly DateOnly Day = new(2026, 11, 28);
    private static readonly Uri[] Rua = [new("mailto:tlsrpt@recipient.example"), new("https://reports.recipient.example/v1")];

    private static readonly string[] StsLines = ["version: STSv1", "mode: testing", "mx: *.recipient.example", "max_age: 86400"];

    private static TlsReportPolicy Sts(long ok, long failed, params TlsReportFailureDetail[] details) =>
        new("sts", StsLines, "recipient.example", ["*.recipient.example"], ok, failed, details);

    private static TlsReportFailureDetail Detail(string type, long count, string? mx = "mx1.recipient.example", string? reason = null) =>
        new(type, "192.0.2.1", mx, mx, "198.51.100.7", count, null, reason);

    private static OutboundReport Build(params TlsReportPolicy[] policies) =>
        OutboundReportBuilder.Build(Submitter, Day, "recipient.example", Rua, policies);

    private static TlsReport ReadBack(OutboundReport report)
    {
        var result = TlsReportParser.Parse(report.Json, new ReportLimits());
        Assert.Null(result.Error);
        return result.Report!;
    }

    [Fact]
    public void The_report_reads_back_through_our_own_parser_with_the_same_counts_and_no_flags()
    {
        var report = Build(Sts(90, 3, Detail("certificate-expired", 2), Detail("starttls-not-supported", 1, "mx2.recipient.example")),
            new TlsReportPolicy("no-policy-found", [], "recipient.example", [], 5, 0, []));

        var read = ReadBack(report);

        Assert.Empty(read.Flags);
        Assert.Equal(("Example Sender Org", "mailto:tlsrpt-contact@sender.example", report.ReportId), (read.OrganizationName, read.ContactInfo, read.ReportId));
        Assert.Equal((DateTimeOffset.Parse("2026-11-28T00:00:00Z"), DateTimeOffset.Parse("2026-11-28T23:59:59Z")), (read.StartDatetime, read.EndDatetime));
        Assert.Equal(["no-policy-found", "sts"], read.Policies.Select(p => p.PolicyType));
        var sts = read.Policies[1];
        Assert.Equal(("recipient.example", 90L, 3L), (sts.PolicyDomain, sts.TotalSuccessfulSessionCount, sts.TotalFailureSessionCount));
        Assert.Equal(StsLines, sts.PolicyStrings);
        Assert.Equal(["*.recipient.example"], sts.MxHosts);
        Assert.Equal([("certificate-expired", 2L, "mx1.recipient.example"), ("starttls-not-supported", 1L, "mx2.recipient.example")],
            sts.FailureDetails.Select(d => (d.ResultType, d.FailedSessionCount, d.ReceivingMxHostname)));
        Assert.Equal(("192.0.2.1", "198.51.100.7", "mx1.recipient.example"), (sts.FailureDetails[0].SendingMtaIp, sts.FailureDetails[0].ReceivingIp, sts.FailureDetails[0].ReceivingMxHelo));
        Assert.Equal((98L, 3L), (report.Sessions, report.Failures));
    }

    [Fact]
    public void The_json_is_exactly_the_rfc_layout_with_optional_members_left_out_when_empty()
    {
        var report = Build(new TlsReportPolicy("no-policy-found", [], "recipient.example", [], 4, 0, []));

        Assert.Equal(
            """{"organization-name":"Example Sender Org","date-range":{"start-datetime":"2026-11-28T00:00:00Z","end-datetime":"2026-11-28T23:59:59Z"},"contact-info":"mailto:tlsrpt-contact@sender.example","report-id":"""
            + JsonSerializer.Serialize(report.ReportId)
            + ""","policies":[{"policy":{"policy-type":"no-policy-found","policy-domain":"recipient.example"},"summary":{"total-successful-session-count":4,"total-failure-session-count":0}}]}""",
            Encoding.UTF8.GetString(report.Json));
    }

    [Fact]
    public void Failed_sessions_without_a_detail_are_sent_as_one_validation_failure_that_says_so()
    {
        var report = Build(Sts(10, 5, Detail("certificate-expired", 2)));

        var sts = Assert.Single(ReadBack(report).Policies);
        Assert.Equal([("certificate-expired", 2L, (string?)null), ("validation-failure", 3L, OutboundReportBuilder.NoDetailReason)],
            sts.FailureDetails.Select(d => (d.ResultType, d.FailedSessionCount, d.FailureReasonCode)));
        Assert.Null(sts.FailureDetails[1].ReceivingMxHostname);
        Assert.Empty(ReadBack(report).Flags);
    }

    [Fact]
    public void Details_that_add_up_to_exactly_the_failures_get_no_filler()
    {
        var sts = Assert.Single(ReadBack(Build(Sts(0, 2, Detail("certificate-expired", 2)))).Policies);

        Assert.Equal(["certificate-expired"], sts.FailureDetails.Select(d => d.ResultType));
    }

    [Fact]
    public void A_session_that_matched_two_details_is_sent_as_counted_not_changed()
    {
        var details = OutboundReportBuilder.Details(Sts(0, 1, Detail("certificate-expired", 1), Detail("starttls-not-supported", 1, "mx2.recipient.example")));

        Assert.Equal([1L, 1L], details.Select(d => d.FailedSessionCount));
    }

    [Fact]
    public void Details_with_no_sessions_and_policies_with_no_sessions_are_left_out()
    {
        var report = Build(Sts(1, 0, Detail("certificate-expired", 0)), new TlsReportPolicy("tlsa", ["3 1 1 ab"], "recipient.example", [], 0, 0, []));

        var sts = Assert.Single(ReadBack(report).Policies);
        Assert.Equal("sts", sts.PolicyType);
        Assert.Empty(sts.FailureDetails);
        Assert.DoesNotContain("failure-details", Encoding.UTF8.GetString(report.Json), StringComparison.Ordinal);
    }

    [Fact]
    public void A_day_without_sessions_or_without_destinations_is_no_report()
    {
        Assert.StartsWith("No sessions to recipient.example on 2026-11-28.", Assert.Throws<ArgumentException>(() => Build(Sts(0, 0))).Message, StringComparison.Ordinal);
        Assert.StartsWith("A report needs at least one destination.",
            Assert.Throws<ArgumentException>(() => OutboundReportBuilder.Build(Submitter, Day, "recipient.example", [], [Sts(1, 0)])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sessions_and_failures_add_up_over_every_policy_of_the_day()
    {
        var changed = new TlsReportPolicy("sts", ["version: STSv1", "mode: enforce", "mx: *.recipient.example", "max_age: 86400"], "recipient.example", ["*.recipient.example"], 7, 4,
            [Detail("certificate-expired", 4)]);

        var report = Build(Sts(90, 3, Detail("certificate-expired", 3)), changed);

        Assert.Equal((104L, 7L), (report.Sessions, report.Failures));
        Assert.Equal([4L, 3L], ReadBack(report).Policies.Select(p => p.TotalFailureSessionCount));
    }

    [Fact]
    public void Policies_of_one_type_are_sorted_by_their_lines_then_by_their_mx_patterns()
    {
        TlsReportPolicy Policy(string mode, string mx) => new("sts", ["version: STSv1", "mode: " + mode], "recipient.example", [mx], 1, 0, []);

        var report = Build(Policy("testing", "b.recipient.example"), Policy("enforce", "z.recipient.example"), Policy("testing", "a.recipient.example"));

        Assert.Equal([("mode: enforce", "z.recipient.example"), ("mode: testing", "a.recipient.example"), ("mode: testing", "b.recipient.example")],
            ReadBack(report).Policies.Select(p => (p.PolicyStrings[1], p.MxHosts[0])));
    }

    [Fact]
    public void Details_alike_but_for_one_field_are_sorted_by_that_field()
    {
        TlsReportFailureDetail D(string? sending = "192.0.2.1", string? helo = "h", string? reason = "r", string? info = "i") =>
            new("certificate-expired", sending, "mx1.recipient.example", helo, "198.51.100.7", 1, info, reason);

        Assert.Equal(["192.0.2.1", "192.0.2.2"], OutboundReportBuilder.Details(Sts(0, 2, D(sending: "192.0.2.2"), D())).Select(d => d.SendingMtaIp!));
        Assert.Equal(["a", "b"], OutboundReportBuilder.Details(Sts(0, 2, D(helo: "b"), D(helo: "a"))).Select(d => d.ReceivingMxHelo!));
        Assert.Equal(["a", "b"], OutboundReportBuilder.Details(Sts(0, 2, D(reason: "b"), D(reason: "a"))).Select(d => d.FailureReasonCode!));
        Assert.Equal(["a", "b"], OutboundReportBuilder.Details(Sts(0, 2, D(info: "b"), D(info: "a"))).Select(d => d.AdditionalInformation!));
    }

    [Fact]
    public void Every_field_of_a_detail_is_sent()
    {
        var detail = new TlsReportFailureDetail("sts-webpki-invalid", "192.0.2.1", "mx1.recipient.example", "helo.recipient.example", "198.51.100.7", 1,
            "https://recipient.example/why", "certificate expired");

        var read = Assert.Single(Assert.Single(ReadBack(Build(Sts(0, 1, detail))).Policies).FailureDetails);

        Assert.Equal(detail, read);
    }

    [Fact]
    public void The_same_counts_in_another_order_give_the_same_bytes()
    {
        var a = Build(Sts(1, 2, Detail("starttls-not-supported", 1, "mx2.recipient.example"), Detail("certificate-expired", 1)), new TlsReportPolicy("no-policy-found", [], "recipient.example", [], 1, 0, []));
        var b = Build(new TlsReportPolicy("no-policy-found", [], "recipient.example", [], 1, 0, []), Sts(1, 2, Detail("certificate-expired", 1), Detail("starttls-not-supported", 1, "mx2.recipient.example")));

        Assert.Equal(a.Json, b.Json);
    }

    [Fact]
    public void Details_are_sorted_by_type_then_mx_host_then_addresses()
    {
        var details = OutboundReportBuilder.Details(Sts(0, 4,
            new TlsReportFailureDetail("starttls-not-supported", "192.0.2.9", "mx1.recipient.example", null, "198.51.100.1", 1, null, null),
            new TlsReportFailureDetail("certificate-expired", "192.0.2.2", "mx2.recipient.example", null, "198.51.100.1", 1, null, null),
            new TlsReportFailureDetail("certificate-expired", "192.0.2.1", "mx1.recipient.example", null, "198.51.100.2", 1, null, null),
            new TlsReportFailureDetail("certificate-expired", "192.0.2.1", "mx1.recipient.example", null, "198.51.100.1", 1, null, null)));

        Assert.Equal(
            [("certificate-expired", "mx1.recipient.example", "198.51.100.1"), ("certificate-expired", "mx1.recipient.example", "198.51.100.2"),
             ("certificate-expired", "mx2.recipient.example", "198.51.100.1"), ("starttls-not-supported", "mx1.recipient.example", "198.51.100.1")],
            details.Select(d => (d.ResultType, d.ReceivingMxHostname!, d.ReceivingIp!)));
    }

    [Fact]
    public void The_report_id_is_stable_across_rebuilds_and_differs_per_day_domain_destinations_and_submitter()
    {
        var id = OutboundReportBuilder.ReportId(Submitter, Day, "recipient.example", Rua);

        Assert.Equal(id, Build(Sts(1, 0)).ReportId);
        Assert.Equal(id, Build(Sts(500, 7, Detail("certificate-expired", 7))).ReportId);
        Assert.Matches(@"^2026-11-28\.recipient\.example\.[0-9a-f]{16}@sender\.example$", id);
        string[] others =
        [
            OutboundReportBuilder.ReportId(Submitter, Day.AddDays(1), "recipient.example", Rua),
            OutboundReportBuilder.ReportId(Submitter, Day, "other.example", Rua),
            OutboundReportBuilder.ReportId(Submitter, Day, "recipient.example", [Rua[0]]),
            OutboundReportBuilder.ReportId(Submitter with { Domain = "relay.example" }, Day, "recipient.example", Rua),
        ];
        Assert.Equal(5, others.Append(id).Distinct().Count());
    }

    [Fact]
    public void File_name_and_subject_follow_rfc_8460_section_5_3()
    {
        var report = Build(Sts(1, 0));

        Assert.Equal("sender.example!recipient.example!1795824000!1795910399.json.gz", report.FileName(Submitter));
        Assert.Equal($"Report Domain: recipient.example Submitter: sender.example Report-ID: <{report.ReportId}>", report.Subject(Submitter));
        Assert.Equal((DateTimeOffset.Parse("2026-11-28T00:00:00Z"), DateTimeOffset.Parse("2026-11-28T23:59:59Z")), (report.Start, report.End));
    }

    [Fact]
    public void Text_with_quotes_and_non_ascii_reads_back_unchanged()
    {
        var reason = "cert \"expired\" <für> + ok";
        var report = Build(Sts(0, 1, Detail("certificate-expired", 1, reason: reason)));

        Assert.Equal(reason, ReadBack(report).Policies[0].FailureDetails[0].FailureReasonCode);
        Assert.Contains("<für> + ok", Encoding.UTF8.GetString(report.Json), StringComparison.Ordinal);
    }
}
