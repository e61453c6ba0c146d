using System.Globalization;
using Microsoft.Data.Sqlite;

namespace MtaStsReporting.Persistence.Retention;

/// <summary>How long each kind of data is kept, in days.</summary>
public sealed record RetentionPeriods(int RelayOutcomeDays, int ReportDays, int RejectionDays, int BatchIdDays);

/// <summary>What a sweep removed, per table.</summary>
public sealed record SweepResult(IReadOnlyDictionary<string, long> Deleted);

/// <summary>
/// Deletes data past its retention in small steps (each its own short transaction), so that a
/// sweep never holds the write lock long enough to stall ingestion.
/// </summary>
public sealed class RetentionSweeper(string connectionString, int stepRows)
{
    /// <summary>Runs one sweep as of <paramref name="now"/>.</summary>
    public async Task<SweepResult> SweepAsync(RetentionPeriods periods, DateTimeOffset now, Func<Task> betweenSteps, CancellationToken cancellationToken)
    {
        var deleted = new Dictionary<string, long>();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        string Day(int days) => today.AddDays(-days).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        long Ms(int days) => now.AddDays(-days).ToUnixTimeMilliseconds();

        foreach (var table in new[] { "daily_policy_counts", "daily_failure_details", "policy_fetch_days" })
        {
            deleted[table] = await DeleteInStepsAsync($"DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} WHERE day < $cut LIMIT $n)", Day(periods.RelayOutcomeDays), betweenSteps, cancellationToken);
        }

        foreach (var table in new[] { "inbound_daily_counts", "inbound_daily_failures" })
        {
            deleted[table] = await DeleteInStepsAsync($"DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} WHERE day < $cut LIMIT $n)", Day(periods.ReportDays), betweenSteps, cancellationToken);
        }

        // A report goes with its policies and failure details, children first, in one step.
        deleted["tlsrpt_reports"] = await DeleteInStepsAsync(
            """
            CREATE TEMP TABLE IF NOT EXISTS sweep_ids (id INTEGER PRIMARY KEY);
            DELETE FROM sweep_ids;
            INSERT INTO sweep_ids SELECT id FROM tlsrpt_reports WHERE start_datetime < $cut LIMIT $n;
            DELETE FROM tlsrpt_failure_details WHERE tls_report_policy_id IN
              (SELECT p.id FROM tlsrpt_report_policies p JOIN sweep_ids s ON s.id = p.tls_report_id);
            DELETE FROM tlsrpt_report_policies WHERE tls_report_id IN (SELECT id FROM sweep_ids);
            DELETE FROM tlsrpt_reports WHERE id IN (SELECT id FROM sweep_ids);
            """,
            Ms(periods.ReportDays), betweenSteps, cancellationToken);
        deleted["tlsrpt_rejections"] = await DeleteInStepsAsync(
            "DELETE FROM tlsrpt_rejections WHERE rowid IN (SELECT rowid FROM tlsrpt_rejections WHERE rejected_at < $cut LIMIT $n)", Ms(periods.RejectionDays), betweenSteps, cancellationToken);
        deleted["relay_batches"] = await DeleteInStepsAsync(
            "DELETE FROM relay_batches WHERE rowid IN (SELECT rowid FROM relay_batches WHERE committed_at < $cut LIMIT $n)", Ms(periods.BatchIdDays), betweenSteps, cancellationToken);
        return new SweepResult(deleted);
    }

    private async Task<long> DeleteInStepsAsync(string sql, object cutoff, Func<Task> betweenSteps, CancellationToken cancellationToken)
    {
        long total = 0;
        while (true)
        {
            int changed;
            await using (var connection = new SqliteConnection(connectionString))
            {
                await connection.OpenAsync(cancellationToken);
                await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = sql;
                command.Parameters.AddWithValue("$cut", cutoff);
                command.Parameters.AddWithValue("$n", stepRows);
                await command.ExecuteNonQueryAsync(cancellationToken);
                // changes() counts the last statement: for the report step, the reports themselves.
                command.CommandText = "SELECT changes()";
                command.Parameters.Clear();
                changed = Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
                await transaction.CommitAsync(cancellationToken);
            }

            total += changed;
            if (changed < stepRows)
            {
                return total;
            }

            await betweenSteps();
        }
    }
}
