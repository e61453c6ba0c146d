using System.Text;
using MtaStsReporting.Domain.TlsRpt;

namespace MtaStsReporting.Domain.Tests;

/// <summary>
/// What the parser keeps of a report, field by field, the words of its flags and refusals, and
/// every limit at its value and one past it.
/// </summary>
public class TlsReportParserDetailTests
{
    private static string Report(string policies, string extra = "") => $$"""
        {"organization-name":"Org","report-id":"r-1","contact-info":"tlsrpt@org.example"{{extra}},
         "date-range":{"start-datetime":"2026-11-01T00:00:00Z","end-datetime":"2026-11-01T23:59:59Z"},
         "policies":{{policies}}}
        """;

    private static string Policy(string details = "[]", string policyExtra = "", string summary = "\"summary\":{\"total-successful-session-count\":10,\"total-failure-session-count\":0},") => $$"""
        {"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: testing","mx: mx.example.com","max_age: 86400"],"policy-domain":"example.com"{{policyExtra}}},
         {{summary}}"failure-details":{{details}}}
        """;

    private static ReportParseResult Parse(string json, ReportLimits? limits = null) =>
        TlsReportParser.Parse(Encoding.UTF8.GetBytes(json), limits ?? new ReportLimits());

    private static string Flag(ReportParseResult r, string code) => r.Report!.Flags.Single(f => f.Code == code).Detail;

    [Fact]
    public void Every_field_of_a_failure_detail_is_kept()
    {
        var r = Parse(Report("[" + Policy("""
            [{"result-type":"certificate-host-mismatch","sending-mta-ip":"2001:db8::1","receiving-mx-hostname":"mx.example.com",
              "receiving-mx-helo":"helo.example.com","receiving-ip":"192.0.2.7","failed-session-count":3,
              "additional-information":"https://reporter.example/why","failure-reason-code":"X509_V_ERR_HOSTNAME_MISMATCH"}]
            """, summary: "\"summary\":{\"total-successful-session-count\":10,\"total-failure-session-count\":3},") + "]"));

        Assert.True(r.IsValid, r.Error);
        var d = Assert.Single(Assert.Single(r.Report.Policies).FailureDetails);
        Assert.Equal(("certificate-host-mismatch", "2001:db8::1", "mx.example.com", "helo.example.com", "192.0.2.7", 3L, "https://reporter.example/why", "X509_V_ERR_HOSTNAME_MISMATCH"),
            (d.ResultType, d.SendingMtaIp, d.ReceivingMxHostname, d.ReceivingMxHelo, d.ReceivingIp, d.FailedSessionCount, d.AdditionalInformation, d.FailureReasonCode));
        Assert.Empty(r.Report.Flags);
    }

    [Fact]
    public void Alternate_key_names_are_read_and_said()
    {
        var r = Parse(Report("[" + Policy("""
            [{"result-type":"validation-failure","receiving-mx-host-name":"mx.example.com","additional-info-uri":"https://x.example/i","failed-session-count":1}]
            """, summary: "\"summary\":{\"total-successful-session-count\":1,\"total-failure-session-count\":1},") + "]"));

        var d = Assert.Single(r.Report!.Policies[0].FailureDetails);
        Assert.Equal(("mx.example.com", "https://x.example/i"), (d.ReceivingMxHostname, d.AdditionalInformation));
        Assert.Equal(["policies[0].failure-details[0]: receiving-mx-host-name read as receiving-mx-hostname", "policies[0].failure-details[0]: additional-info-uri read as additional-information"],
            r.Report.Flags.Where(f => f.Code == ReportFlags.AlternateKeyName).Select(f => f.Detail));
    }

    [Fact]
    public void Flags_say_where_and_what()
    {
        var r = Parse(Report("[" + Policy("""
            [{"result-type":"something-new","failed-session-count":2},{"result-type":"certificate-expired","failed-session-count":1}]
            """) + "," + Policy(policyExtra: ",\"mx-host\":\"mx.example.com\"", summary: "") + "]"));

        Assert.True(r.IsValid, r.Error);
        Assert.Equal("policies[0].failure-details[0].result-type 'something-new'", Flag(r, ReportFlags.UnknownResultType));
        Assert.Equal("policies[0]: failure-details sum to 3, total-failure-session-count is 0", Flag(r, ReportFlags.FailureCountMismatch));
        Assert.Equal("policies[1].policy.mx-host is a string", Flag(r, ReportFlags.StringForArray));
        Assert.Equal("policies[1].summary", Flag(r, ReportFlags.MissingField));
    }

    [Theory]
    // MaxPolicies 2: two are read, three are refused.
    [InlineData(2, true)]
    [InlineData(3, false)]
    public void Max_policies_is_a_ceiling(int count, bool valid)
    {
        var r = Parse(Report("[" + string.Join(",", Enumerable.Repeat(Policy(), count)) + "]"), new ReportLimits { MaxPolicies = 2 });
        Assert.Equal(valid, r.IsValid);
        if (!valid)
        {
            Assert.Equal("policies has 3 entries; at most 2 are read", r.Error);
        }
    }

    [Theory]
    [InlineData(2, true)]
    [InlineData(3, false)]
    public void Max_failure_details_is_a_ceiling_over_the_whole_report(int count, bool valid)
    {
        var detail = """{"result-type":"certificate-expired","failed-session-count":1}""";
        var r = Parse(Report("[" + Policy("[" + string.Join(",", Enumerable.Repeat(detail, count)) + "]") + "]"), new ReportLimits { MaxFailureDetails = 2 });
        Assert.Equal(valid, r.IsValid);
        Assert.Equal(valid ? null : "more than 2 failure-details entries", r.Error);
    }

    [Theory]
    [InlineData(16, true)]
    [InlineData(17, false)]
    public void Max_json_depth_is_the_setting_not_the_readers_default(int depth, bool valid)
    {
        // The report itself is 4 deep at its failure details; the rest is nested in an extension field.
        var nested = string.Concat(Enumerable.Repeat("{\"x\":", depth - 1)) + "1" + new string('}', depth - 1);
        var r = Parse(Report("[" + Policy() + "]", ",\"ext\":" + nested), new ReportLimits { MaxJsonDepth = 16 });
        Assert.Equal(valid, r.IsValid);
        if (!valid)
        {
            Assert.StartsWith("not valid JSON: ", r.Error);
            Assert.Contains("16", r.Error, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(20, true)]
    [InlineData(21, false)]
    public void Max_string_length_is_a_ceiling(int length, bool valid)
    {
        var r = Parse(Report("[" + Policy() + "]").Replace("\"Org\"", "\"" + new string('o', length) + "\"", StringComparison.Ordinal), new ReportLimits { MaxStringLength = 20 });
        Assert.Equal(valid, r.IsValid);
        if (!valid)
        {
            Assert.Equal("organization-name is longer than 20 characters", r.Error);
        }
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, false)]
    public void Max_decompressed_bytes_is_a_ceiling(int over, bool valid)
    {
        var json = Report("[" + Policy() + "]");
        var r = Parse(json, new ReportLimits { MaxDecompressedBytes = Encoding.UTF8.GetByteCount(json) - over });
        Assert.Equal(valid, r.IsValid);
    }

    [Theory]
    [InlineData("""{"organization-name":"O","report-id":"r","date-range":{"start-datetime":"2026-11-01T00:00:00Z","end-datetime":"2026-11-01T23:59:59Z"}}""", "policies is missing or not an array")]
    [InlineData("""{"organization-name":"O","report-id":"r","date-range":{"start-datetime":"2026-11-01T00:00:00Z","end-datetime":"2026-11-01T23:59:59Z"},"policies":[1]}""", "policies[0] is not an object")]
    [InlineData("""{"organization-name":"O","report-id":"r","date-range":{"start-datetime":"2026-11-01T00:00:00Z","end-datetime":"2026-11-01T23:59:59Z"},"policies":[{"summary":{}}]}""", "policies[0].policy is missing")]
    [InlineData("""{"organization-name":"O","report-id":"r","date-range":{"start-datetime":"2026-11-01T00:00:00Z","end-datetime":"2026-11-01T23:59:59Z"},"policies":[{"policy":{"policy-string":[]}}]}""", "policies[0].policy.policy-type is missing")]
    [InlineData("""{"organization-name":"O","report-id":"r","date-range":{"start-datetime":"2026-11-02T00:00:00Z","end-datetime":"2026-11-01T23:59:59Z"},"policies":[]}""", "date-range ends (2026-11-01T23:59:59.0000000+00:00) before it starts (2026-11-02T00:00:00.0000000+00:00)")]
    public void Broken_reports_are_refused_with_the_field_named(string json, string error)
    {
        Assert.Equal(error, Parse(json).Error);
    }

    [Theory]
    // A report should cover one UTC day (RFC 8460 §4.1): 00:00 to 23:59:59.
    [InlineData("2026-11-01T00:00:00Z", "2026-11-01T23:59:59Z", false)]
    [InlineData("2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z", false)]
    [InlineData("2026-11-01T00:00:00Z", "2026-11-02T00:00:01Z", true)]
    [InlineData("2026-11-01T00:00:00Z", "2026-11-01T23:00:00Z", true)]
    [InlineData("2026-11-01T01:00:00Z", "2026-11-02T00:59:59Z", true)]
    public void An_unusual_date_range_is_flagged(string start, string end, bool flagged)
    {
        var json = Report("[" + Policy() + "]").Replace("2026-11-01T00:00:00Z", start, StringComparison.Ordinal).Replace("2026-11-01T23:59:59Z", end, StringComparison.Ordinal);
        var r = Parse(json);
        Assert.True(r.IsValid, r.Error);
        Assert.Equal(flagged, r.Report.Flags.Any(f => f.Code == ReportFlags.UnusualDateRange));
    }
}
