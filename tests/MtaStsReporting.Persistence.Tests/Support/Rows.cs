using Microsoft.EntityFrameworkCore;
using MtaStsReporting.Domain.MtaSts;
using MtaStsReporting.Domain.Names;
using MtaStsReporting.Domain.RelayOutcomes;
using MtaStsReporting.Domain.TlsRpt;
using MtaStsReporting.Persistence.Reports;
using MtaStsReporting.Persistence.Schema;
using MtaStsReporting.Persistence.Store;

namespace MtaStsReporting.Persistence.Tests.Support;

/// <summary>Builds what the store is given, and reads back what it kept.</summary>
public static class Rows
{
    public static readonly AppliedPolicy Testing = new(PolicyType.Sts, ["version: STSv1", "mode: testing", "mx: mx.example.com", "max_age: 86400"], ["mx.example.com"]);

    /// <summary>A delta of <paramref name="successes"/> and <paramref name="failures"/> (certificate-expired) sessions to a domain at a time.</summary>
    public static DailyOutcomeDelta Delta(string domain, DateTimeOffset at, long successes, long failures = 0)
    {
        var delta = new DailyOutcomeDelta();
        var name = DomainName.Parse(domain);
        if (successes > 0)
        {
            delta.Add(new SessionOutcome(name, at, Testing, successes, null));
        }

        if (failures > 0)
        {
            delta.Add(new SessionOutcome(name, at, Testing, failures,
                new FailureDetail(new ResultType("certificate-expired"), "192.0.2.1", "mx.example.com", null, "198.51.100.7", null, null)));
        }

        return delta;
    }

    public static IncomingReport Report(string organization, string reportId, DateTimeOffset start, string domain, long successes, long failures, string source = "file") =>
        new(new TlsReport(organization, "mailto:tlsrpt@" + organization, reportId, start, start.AddDays(1).AddSeconds(-1),
                [new TlsReportPolicy("sts", Testing.PolicyStrings, domain, Testing.MxHosts, successes, failures,
                    failures == 0 ? [] : [new TlsReportFailureDetail("certificate-expired", "203.0.113.9", "mx.example.com", null, "198.51.100.7", failures, null, null)])],
                []),
            new ReportSource(source, "test", null), DkimVerdict.None, "{}"u8.ToArray(), "application/json");

    public static async Task<List<DailyPolicyCountRow>> CountsAsync(ReportingStore store)
    {
        await using var db = store.CreateContext();
        return await db.DailyPolicyCounts.AsNoTracking().ToListAsync();
    }

    public static async Task<List<InboundDailyCountRow>> InboundAsync(ReportingStore store)
    {
        await using var db = store.CreateContext();
        return await db.InboundDailyCounts.AsNoTracking().ToListAsync();
    }
}
