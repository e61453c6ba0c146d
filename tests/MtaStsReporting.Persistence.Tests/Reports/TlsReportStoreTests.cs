using Microsoft.EntityFrameworkCore;
using MtaStsReporting.Persistence.Reports;
using MtaStsReporting.Persistence.Store;
using MtaStsReporting.Persistence.Tests.Support;

namespace MtaStsReporting.Persistence.Tests.Reports;

/// <summary>Inbound reports: stored once, a second version under one id said, the roll-ups in the same transaction.</summary>
public sealed class TlsReportStoreTests
{
    private static readonly DateTimeOffset Day = new(2026, 11, 28, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task A_report_is_stored_once_and_a_second_version_under_its_id_is_recorded_as_a_conflict(StoreProvider engine)
    {
        await using var t = await TestStore.OpenAsync(engine);
        var first = Rows.Report("Reporter Inc", "r-1", Day, "example.com", 90, 10);

        var outcomes = await t.Store.Reports.SaveAsync([first, first, Rows.Report("Reporter Inc", "r-1", Day, "example.com", 95, 5)], [], CancellationToken.None);

        Assert.Equal([ReportStoreResult.Imported, ReportStoreResult.Duplicate, ReportStoreResult.ConflictingDuplicate], outcomes.Select(o => o.Result));
        Assert.Equal("differs from the stored copy: 95 successful and 5 failed sessions in 1 policies with 5 failed sessions in details here, " +
            "90 successful and 10 failed sessions in 1 policies with 10 failed sessions in details stored (the first is kept)", outcomes[2].Difference);
        await using var db = t.Store.CreateContext();
        Assert.Equal(1, await db.TlsReports.CountAsync());
        var conflict = Assert.Single(await db.ReportRejections.AsNoTracking().ToListAsync());
        Assert.Equal(TlsReportStore.ConflictStatus, conflict.Status);
        var day = Assert.Single(await Rows.InboundAsync(t.Store));
        Assert.Equal((new DateOnly(2026, 11, 28), "example.com", "Reporter Inc", 90L, 10L, 1L),
            (day.Day, day.PolicyDomain, day.OrganizationName, day.SuccessCount, day.FailureCount, day.ReportCount));
    }

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task Reports_of_two_reporters_and_two_days_are_rolled_up_per_day_and_reporter(StoreProvider engine)
    {
        await using var t = await TestStore.OpenAsync(engine);

        await t.Store.Reports.SaveAsync(
        [
            Rows.Report("A", "a-1", Day, "example.com", 10, 1),
            Rows.Report("A", "a-2", Day.AddHours(1), "example.com", 20, 2),
            Rows.Report("B", "b-1", Day, "example.com", 30, 0),
            Rows.Report("A", "a-3", Day.AddDays(1), "example.com", 40, 4),
        ], [new Rejection(new Domain.TlsRpt.ReportSource("imap", "INBOX", "<m@x>"), "invalid", "not JSON")], CancellationToken.None);

        var rows = (await Rows.InboundAsync(t.Store)).OrderBy(r => r.Day).ThenBy(r => r.OrganizationName, StringComparer.Ordinal)
            .Select(r => (r.Day.Day, r.OrganizationName, r.SuccessCount, r.FailureCount, r.ReportCount));
        Assert.Equal([(28, "A", 30L, 3L, 2L), (28, "B", 30L, 0L, 1L), (29, "A", 40L, 4L, 1L)], rows);
        await using var db = t.Store.CreateContext();
        Assert.Equal(7L, await db.InboundDailyFailures.SumAsync(f => f.FailedSessionCount));
        Assert.Equal("not JSON", Assert.Single(await db.ReportRejections.AsNoTracking().ToListAsync()).Reason);
    }

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task Two_instances_storing_the_same_report_at_once_store_it_once(StoreProvider engine)
    {
        await using var t = await TestStore.OpenAsync(engine);
        await using var other = await t.OpenAnotherAsync();
        var reports = Enumerable.Range(0, 40).Select(i => Rows.Report("R", $"id-{i}", Day, "example.com", 1, 0)).ToList();

        var results = await Task.WhenAll(
            Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? t.Store : other).Reports.SaveAsync([reports[i / 2 * 2]], [], CancellationToken.None)));

        Assert.Equal(20, results.Count(r => r[0].Result == ReportStoreResult.Imported));
        Assert.Equal(20L, Assert.Single(await Rows.InboundAsync(t.Store)).ReportCount);
    }
}
