using Google.Protobuf;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Storage;
using MtaStsReporting.Daemon.Tests.Support;
using static MtaStsReporting.Daemon.Tests.Support.Outcomes;

namespace MtaStsReporting.Daemon.Tests.Storage;

/// <summary>Data past its retention goes, in small steps; recent data stays.</summary>
public sealed class RetentionTests
{
    [Fact]
    public async Task A_sweep_removes_what_is_past_retention_and_keeps_the_rest()
    {
        await using var daemon = await InProcessDaemon.StartAsync(
            "--Retention:ReportDays=30", "--Retention:RelayOutcomeDays=20", "--Retention:BatchIdDays=5", "--Retention:StepRows=2");
        var now = InProcessDaemon.DefaultNow;
        var relay = new RelayOutcomes.RelayOutcomesClient(daemon.Channel);
        await relay.ReportOutcomesAsync(Batch("old", Success("old.example", now.AddDays(-25), 5), Failure("old.example", now.AddDays(-25), ResultType.CertificateExpired)));
        await relay.ReportOutcomesAsync(Batch("new", Success("new.example", now.AddDays(-1), 7)));
        var import = new ReportImport.ReportImportClient(daemon.Channel);
        foreach (var (id, day) in new[] { ("r-old-1", "2026-10-01"), ("r-old-2", "2026-10-02"), ("r-old-3", "2026-10-03"), ("r-new", "2026-11-20") })
        {
            await import.ImportReportAsync(new ImportReportRequest { Content = ByteString.CopyFromUtf8($$"""
                {"organization-name":"Org","report-id":"{{id}}","date-range":{"start-datetime":"{{day}}T00:00:00Z","end-datetime":"{{day}}T23:59:59Z"},
                 "policies":[{"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: testing","mx: mx.ours.example","max_age: 86400"],"policy-domain":"ours.example"},
                 "summary":{"total-successful-session-count":1,"total-failure-session-count":1},
                 "failure-details":[{"result-type":"certificate-expired","failed-session-count":1}]}]}
                """) });
        }

        // Ten days later the batch ids (5 days) are gone too.
        daemon.Clock.Now = now.AddDays(10);
        var result = await daemon.Services.GetRequiredService<RetentionWorker>().SweepOnceAsync(CancellationToken.None);

        Assert.Equal(3, result.Deleted["tlsrpt_reports"]);
        Assert.Equal(2, result.Deleted["relay_batches"]);
        await using var db = daemon.Store.Open();
        Assert.Equal(["r-new"], await db.TlsReports.Select(r => r.ReportId).ToListAsync());
        Assert.Equal(1, await db.TlsReportPolicies.CountAsync());
        Assert.Equal(1, await db.TlsReportFailures.CountAsync());
        Assert.Equal(["2026-11-20"], (await db.InboundDailyCounts.ToListAsync()).Select(r => r.Day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)));
        // Outcomes of 35 days before the new "now" are past 20 days; those of 11 days are not.
        Assert.Equal(["new.example"], (await db.DailyPolicyCounts.ToListAsync()).Select(r => r.PolicyDomain));
        Assert.Empty(await db.DailyFailureDetails.ToListAsync());
        Assert.Empty(await db.RelayBatches.ToListAsync());
    }
}
