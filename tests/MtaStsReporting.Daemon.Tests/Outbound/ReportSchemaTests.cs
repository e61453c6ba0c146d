using System.Text;
using MtaStsReporting.Domain.TlsRpt;
using MtaStsReporting.Domain.TlsRpt.Outbound;

namespace MtaStsReporting.Daemon.Tests.Outbound;

/// <summary>The reports we build pass the strict schema; the schema itself refuses what the RFC refuses.</summary>
public sealed class ReportSchemaTests
{
    private static string Built(params TlsReportPolicy[] policies) => Encoding.UTF8.GetString(OutboundReportBuilder.Build(
        new ReportSubmitter("Sender Org", "mailto:postmaster@sender.example", "sender.example"), new DateOnly(2026, 11, 28), "example.com",
        [new Uri("mailto:tlsrpt@example.com")], policies).Json);

    private static readonly string[] Lines = ["version: STSv1", "mode: testing", "mx: mx1.example.com", "max_age: 86400"];

    [Fact]
    public void Reports_we_build_pass_the_strict_schema_with_every_kind_of_policy_and_detail()
    {
        var json = Built(
            new TlsReportPolicy("sts", Lines, "example.com", ["mx1.example.com"], 10, 4,
                [new TlsReportFailureDetail("certificate-expired", "192.0.2.1", "mx1.example.com", "mx1.example.com", "198.51.100.7", 2, "https://example.com/why", "X509 expired")]),
            new TlsReportPolicy("tlsa", ["3 1 1 abcd"], "example.com", [], 1, 0, []),
            new TlsReportPolicy("no-policy-found", [], "example.com", [], 3, 0, []));

        Assert.Empty(ReportSchema.Problems(json));
    }

    [Theory]
    [InlineData("\"organization-name\":\"Sender Org\",", "", "organization-name")]
    [InlineData("\"report-id\":", "\"extra\":1,\"report-id\":", "extra")]
    [InlineData("\"policy-type\":\"sts\"", "\"policy-type\":\"STS\"", "policy-type")]
    [InlineData("\"total-failure-session-count\":4", "\"total-failure-session-count\":\"4\"", "total-failure-session-count")]
    [InlineData("\"result-type\":\"certificate-expired\"", "\"result-type\":\"expired\"", "result-type")]
    [InlineData("T00:00:00Z", "T00:00:00", "start-datetime")]
    public void The_schema_refuses_what_rfc_8460_refuses(string from, string to, string named)
    {
        var json = Built(new TlsReportPolicy("sts", Lines, "example.com", ["mx1.example.com"], 10, 4,
            [new TlsReportFailureDetail("certificate-expired", null, "mx1.example.com", null, null, 4, null, null)]));
        Assert.Contains(from, json, StringComparison.Ordinal);

        var problems = ReportSchema.Problems(json.Replace(from, to, StringComparison.Ordinal));

        Assert.Contains(problems, p => p.Contains(named, StringComparison.Ordinal));
    }
}
