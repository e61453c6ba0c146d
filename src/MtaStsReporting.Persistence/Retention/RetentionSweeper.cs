using MtaStsReporting.Domain.Rollups;
using MtaStsReporting.Persistence.Store;

namespace MtaStsReporting.Persistence.Retention;

/// <summary>How long each kind of data is kept, in days.</summary>
public sealed record RetentionPeriods(int RelayOutcomeDays, int ReportDays, int RejectionDays, int BatchIdDays);

/// <summary>What a sweep removed, per table.</summary>
public sealed record SweepResult(IReadOnlyDictionary<string, long> Deleted);

/// <summary>
/// The retention part of the store: deletes data past its retention in small steps, each its
/// own unit of work through the writer, so that a sweep never holds a transaction long enough
/// to stall ingestion, and ingestion's units commit between the steps.
/// </summary>
public sealed class RetentionSweeper(ReportingStore store)
{
    /// <summary>Runs one sweep as of <paramref name="now"/>, <paramref name="stepRows"/> rows per step.</summary>
    public async Task<SweepResult> SweepAsync(RetentionPeriods periods, DateTimeOffset now, int stepRows, Func<Task> betweenSteps, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stepRows, 1);
        var deleted = new Dictionary<string, long>();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        DateOnly Day(int days) => today.AddDays(-days);
        long Ms(int days) => now.AddDays(-days).ToUnixTimeMilliseconds();
        var dialect = store.Dialect;

        foreach (var table in new[] { "daily_policy_counts", "daily_failure_details", "policy_fetch_days", "tlsrpt_record_days" })
        {
            deleted[table] = await InStepsAsync(s => s.Execute(dialect.BoundedDelete(table, "day < @cut"), Day(periods.RelayOutcomeDays), stepRows), stepRows, betweenSteps, cancellationToken);
        }

        // The outbound reports go with the relay days they were built from: attempts and deliveries
        // before their reports, the day's decision last (a day still counted is not built again).
        const string OldReports = "report_id IN (SELECT report_id FROM outbound_reports WHERE day < @cut)";
        foreach (var (table, condition) in new[] { ("outbound_attempts", OldReports), ("outbound_deliveries", "day < @cut"), ("outbound_reports", "day < @cut"), ("outbound_days", "day < @cut") })
        {
            deleted[table] = await InStepsAsync(s => s.Execute(dialect.BoundedDelete(table, condition), Day(periods.RelayOutcomeDays), stepRows), stepRows, betweenSteps, cancellationToken);
        }

        foreach (var table in new[] { "inbound_daily_counts", "inbound_daily_failures" })
        {
            deleted[table] = await InStepsAsync(s => s.Execute(dialect.BoundedDelete(table, "day < @cut"), Day(periods.ReportDays), stepRows), stepRows, betweenSteps, cancellationToken);
        }

        // The domain totals go with the days they sum; a week once all its days are gone.
        foreach (var (traffic, days) in new[] { (TrafficDirection.Outbound, periods.RelayOutcomeDays), (TrafficDirection.Inbound, periods.ReportDays) })
        {
            var direction = (int)traffic;
            deleted[$"domain_days/{direction}"] = await InStepsAsync(
                s => s.Execute(dialect.BoundedDelete("domain_days", $"direction = {direction} AND day < @cut"), Day(days), stepRows), stepRows, betweenSteps, cancellationToken);
            deleted[$"domain_weeks/{direction}"] = await InStepsAsync(
                s => s.Execute(dialect.BoundedDelete("domain_weeks", $"direction = {direction} AND week < @cut"), Day(days).AddDays(-6), stepRows), stepRows, betweenSteps, cancellationToken);
        }

        // By the day a report covers, as its roll-ups: a report of the first day kept stays with them.
        var reportCut = new DateTimeOffset(Day(periods.ReportDays).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeMilliseconds();
        deleted["tlsrpt_reports"] = await InStepsAsync(s => DeleteReports(s, reportCut, stepRows), stepRows, betweenSteps, cancellationToken);
        deleted["tlsrpt_rejections"] = await InStepsAsync(
            s => s.Execute(dialect.BoundedDelete("tlsrpt_rejections", "rejected_at < @cut"), Ms(periods.RejectionDays), stepRows), stepRows, betweenSteps, cancellationToken);
        deleted["relay_batches"] = await InStepsAsync(
            s => s.Execute(dialect.BoundedDelete("relay_batches", "committed_at < @cut"), Ms(periods.BatchIdDays), stepRows), stepRows, betweenSteps, cancellationToken);
        return new SweepResult(deleted);
    }

    /// <summary>A step of reports: the oldest ids first, each with its policies and failure details, children first.</summary>
    private static int DeleteReports(WriteSession session, long cut, int stepRows)
    {
        var last = session.Scalar("SELECT MAX(id) FROM (SELECT id FROM tlsrpt_reports WHERE start_datetime < @cut ORDER BY id LIMIT @n) AS step", cut, stepRows);
        if (last is null)
        {
            return 0;
        }

        const string Reports = "SELECT id FROM tlsrpt_reports WHERE start_datetime < @cut AND id <= @last";
        session.Execute($"DELETE FROM tlsrpt_failure_details WHERE tls_report_policy_id IN (SELECT id FROM tlsrpt_report_policies WHERE tls_report_id IN ({Reports}))", cut, last);
        session.Execute($"DELETE FROM tlsrpt_report_policies WHERE tls_report_id IN ({Reports})", cut, last);
        return session.Execute("DELETE FROM tlsrpt_reports WHERE start_datetime < @cut AND id <= @last", cut, last);
    }

    private async Task<long> InStepsAsync(Func<WriteSession, int> step, int stepRows, Func<Task> betweenSteps, CancellationToken cancellationToken)
    {
        long total = 0;
        while (true)
        {
            var changed = await store.WriteAsync(new WriteUnit<int>(step), cancellationToken);
            total += changed;
            if (changed < stepRows)
            {
                return total;
            }

            await betweenSteps();
        }
    }
}
