using Microsoft.EntityFrameworkCore;
using MtaStsReporting.Persistence.RelayOutcomes;
using MtaStsReporting.Persistence.Retention;
using MtaStsReporting.Persistence.Store;
using MtaStsReporting.Persistence.Tests.Support;

namespace MtaStsReporting.Persistence.Tests.Retention;

/// <summary>Retention: what is older than its period goes, in steps; the last day kept stays.</summary>
public sealed class RetentionSweeperTests
{
    private static readonly DateTimeOffset Now = TestStore.DefaultNow;

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task Days_before_the_period_are_deleted_in_steps_and_the_first_day_of_the_period_is_kept(StoreProvider engine)
    {
        await using var t = await TestStore.OpenAsync(engine);
        // Ten days of outcomes (one row each) ending today, and one report per day.
        for (var d = 0; d < 10; d++)
        {
            var at = Now.AddDays(-d);
            await t.Store.Relay.CommitAsync(new PendingBatch($"day-{d}", Rows.Delta("example.com", at, 1)), CancellationToken.None);
            await t.Store.Reports.SaveAsync([Rows.Report("R", $"r-{d}", new DateTimeOffset(at.Date, TimeSpan.Zero), "example.com", 1, 1)], [], CancellationToken.None);
        }

        var pauses = 0;
        // Kept: today and the 4 days before (day < today - 4 goes): 5 rows of each kind deleted.
        var result = await t.Store.Retention.SweepAsync(new RetentionPeriods(4, 4, 90, 35), Now, stepRows: 2, () => { pauses++; return Task.CompletedTask; }, CancellationToken.None);

        Assert.Equal(5, result.Deleted["daily_policy_counts"]);
        Assert.Equal(5, result.Deleted["tlsrpt_reports"]);
        Assert.Equal(5, result.Deleted["inbound_daily_counts"]);
        Assert.Equal(0, result.Deleted["relay_batches"]);
        var days = (await Rows.CountsAsync(t.Store)).Select(r => r.Day).Order().ToList();
        Assert.Equal(Enumerable.Range(0, 5).Select(d => DateOnly.FromDateTime(Now.AddDays(-4 + d).UtcDateTime)), days);
        await using var db = t.Store.CreateContext();
        Assert.Equal(5, await db.TlsReportPolicies.CountAsync());
        Assert.Equal(5, await db.TlsReportFailures.CountAsync());
        // The domain totals of both directions go with their days; a week once all its days are
        // gone: the week of Monday 16 November (days 20–22 stored) goes, the next (23–29) stays.
        Assert.Equal((5, 5), (result.Deleted["domain_days/1"], result.Deleted["domain_days/2"]));
        Assert.Equal((1, 1), (result.Deleted["domain_weeks/1"], result.Deleted["domain_weeks/2"]));
        Assert.Equal([new DateOnly(2026, 11, 23), new DateOnly(2026, 11, 23)], await db.DomainWeeks.Select(w => w.Week).ToListAsync());
        // Steps of 2 rows: 5 rows take 3 steps (2, 2, 1), with a pause after each full step, for
        // each of daily_policy_counts, the inbound counts and failures, the two directions'
        // domain days and the reports; none for policy_fetch_days (empty) or the weeks (1 row).
        Assert.Equal(2 * 6, pauses);
    }

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task Batch_ids_are_forgotten_after_their_period_and_a_retry_then_counts_again(StoreProvider engine)
    {
        await using var t = await TestStore.OpenAsync(engine);
        await t.Store.Relay.CommitAsync(new PendingBatch("old", Rows.Delta("example.com", Now, 1)), CancellationToken.None);

        t.Clock.Now = Now.AddDays(35);
        var kept = await t.Store.Retention.SweepAsync(new RetentionPeriods(400, 400, 90, 35), t.Clock.Now, 100, () => Task.CompletedTask, CancellationToken.None);
        Assert.Equal(0, kept.Deleted["relay_batches"]);

        var gone = await t.Store.Retention.SweepAsync(new RetentionPeriods(400, 400, 90, 35), t.Clock.Now.AddMilliseconds(1), 100, () => Task.CompletedTask, CancellationToken.None);
        Assert.Equal(1, gone.Deleted["relay_batches"]);
    }

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task Outbound_reports_their_deliveries_attempts_and_decisions_go_with_the_relay_days_they_were_built_from(StoreProvider engine)
    {
        await using var t = await TestStore.OpenAsync(engine);
        var submitter = new Domain.TlsRpt.Outbound.ReportSubmitter("Org", "mailto:x@sender.example", "sender.example");
        for (var d = 0; d < 10; d++)
        {
            await t.Store.Relay.CommitAsync(new PendingBatch($"day-{d}", Rows.Delta("example.com", Now.AddDays(-d), 1)), CancellationToken.None);
        }

        for (var d = 0; d < 10; d++)
        {
            var counts = Assert.Single(await t.Store.Outbound.ReadUndecidedAsync(DateOnly.FromDateTime(Now.AddDays(-d).UtcDateTime), null, CancellationToken.None));
            var report = Domain.TlsRpt.Outbound.OutboundReportBuilder.Build(submitter, counts.Day, counts.PolicyDomain, [new Uri("mailto:r@example.com")], counts.Policies);
            await t.Store.Outbound.DecideAsync([new Persistence.Outbound.BuiltReport(report, "relay", Now)], [], CancellationToken.None);
            await t.Store.Outbound.StartAttemptAsync(report.ReportId, "mailto:r@example.com", "mailto:r@example.com", "me", CancellationToken.None);
        }

        var result = await t.Store.Retention.SweepAsync(new RetentionPeriods(4, 4, 90, 35), Now, stepRows: 2, () => Task.CompletedTask, CancellationToken.None);

        Assert.Equal((5L, 5L, 5L, 5L), (result.Deleted["outbound_attempts"], result.Deleted["outbound_deliveries"], result.Deleted["outbound_reports"], result.Deleted["outbound_days"]));
        await using var db = t.Store.CreateContext();
        var cut = DateOnly.FromDateTime(Now.AddDays(-4).UtcDateTime);
        Assert.Equal(5, await db.OutboundReports.CountAsync(r => r.Day >= cut));
        Assert.Equal(5, await db.OutboundReports.CountAsync());
        Assert.Equal(5, await db.OutboundDays.CountAsync(r => r.Day >= cut));
        Assert.Equal(5, await db.OutboundDeliveries.CountAsync());
        Assert.Equal(5, await db.OutboundAttempts.CountAsync());
    }
}
