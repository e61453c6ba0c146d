using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using MtaStsReporting.Domain.MtaSts;
using MtaStsReporting.Domain.RelayOutcomes;
using MtaStsReporting.Domain.TlsRpt;

namespace MtaStsReporting.Persistence.RelayOutcomes;

/// <summary>A relay batch waiting for the next group commit.</summary>
/// <param name="BatchId">The relay's id for the batch.</param>
/// <param name="Delta">Its outcomes, already folded per day.</param>
public sealed record PendingBatch(string BatchId, DailyOutcomeDelta Delta);

/// <summary>What happened to a batch in a commit.</summary>
public enum BatchCommitResult
{
    /// <summary>Stored now.</summary>
    Committed,

    /// <summary>Its id was committed before; nothing was added.</summary>
    Duplicate,
}

/// <summary>
/// Writes groups of relay batches in one SQLite transaction with upserts that add to the
/// per-day counters. Hand-written SQL rather than EF's change tracker: every row is a
/// read-modify-write that the database does in one statement (INSERT … ON CONFLICT DO UPDATE,
/// which PostgreSQL also speaks), and the commands stay prepared across groups.
/// Not thread-safe: one writer owns one connection.
/// </summary>
public sealed class RelayOutcomeWriter : IAsyncDisposable
{
    private readonly SqliteConnection _connection;
    private readonly TimeProvider _time;
    private readonly HashSet<string> _knownPolicies = [];
    private readonly SqliteCommand _insertBatch;
    private readonly SqliteCommand _insertPolicy;
    private readonly SqliteCommand _upsertCounts;
    private readonly SqliteCommand _upsertDetail;
    private readonly SqliteCommand _upsertFetch;

    private RelayOutcomeWriter(SqliteConnection connection, TimeProvider time)
    {
        _connection = connection;
        _time = time;
        _insertBatch = Command(
            "INSERT INTO relay_batches (batch_id, committed_at, session_count, fetch_count) VALUES ($id, $at, $s, $f) ON CONFLICT (batch_id) DO NOTHING",
            "$id", "$at", "$s", "$f");
        _insertPolicy = Command(
            "INSERT INTO policies (policy_key, policy_type, policy_strings, mx_hosts, mode) VALUES ($k, $t, $p, $m, $mode) ON CONFLICT (policy_key) DO NOTHING",
            "$k", "$t", "$p", "$m", "$mode");
        _upsertCounts = Command(
            """
            INSERT INTO daily_policy_counts (day, policy_domain, policy_key, success_count, failure_count) VALUES ($d, $dom, $k, $s, $f)
            ON CONFLICT (day, policy_domain, policy_key) DO UPDATE SET
              success_count = success_count + excluded.success_count,
              failure_count = failure_count + excluded.failure_count
            """,
            "$d", "$dom", "$k", "$s", "$f");
        _upsertDetail = Command(
            """
            INSERT INTO daily_failure_details (day, policy_domain, policy_key, detail_key, result_type, sending_mta_ip, receiving_mx_hostname,
              receiving_mx_helo, receiving_ip, failure_reason_code, additional_information, failed_session_count)
            VALUES ($d, $dom, $k, $dk, $rt, $smi, $rmh, $helo, $rip, $frc, $ai, $c)
            ON CONFLICT (day, policy_domain, policy_key, detail_key) DO UPDATE SET
              failed_session_count = failed_session_count + excluded.failed_session_count
            """,
            "$d", "$dom", "$k", "$dk", "$rt", "$smi", "$rmh", "$helo", "$rip", "$frc", "$ai", "$c");
        _upsertFetch = Command(
            """
            INSERT INTO policy_fetch_days (day, policy_domain, outcome_key, result, txt_id, mode, max_age, mx_patterns, policy_text,
              http_status, failure_reason, first_seen, last_seen, fetch_count)
            VALUES ($d, $dom, $k, $r, $id, $mode, $age, $mx, $text, $http, $reason, $first, $last, $c)
            ON CONFLICT (day, policy_domain, outcome_key) DO UPDATE SET
              first_seen = min(first_seen, excluded.first_seen),
              last_seen = max(last_seen, excluded.last_seen),
              fetch_count = fetch_count + excluded.fetch_count
            """,
            "$d", "$dom", "$k", "$r", "$id", "$mode", "$age", "$mx", "$text", "$http", "$reason", "$first", "$last", "$c");
    }

    /// <summary>Opens the writer's own connection.</summary>
    public static async Task<RelayOutcomeWriter> OpenAsync(string connectionString, SqliteDurability durability, TimeProvider time, CancellationToken cancellationToken)
    {
        var connection = await SqliteDatabase.OpenWriterAsync(connectionString, durability, cancellationToken);
        return new RelayOutcomeWriter(connection, time);
    }

    /// <summary>
    /// Commits a group of batches in one transaction and says, per batch, whether it was new.
    /// On any error nothing of the group is stored and the exception propagates.
    /// </summary>
    public IReadOnlyList<BatchCommitResult> Commit(IReadOnlyList<PendingBatch> group)
    {
        var results = new BatchCommitResult[group.Count];
        var merged = new DailyOutcomeDelta();
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        using var transaction = _connection.BeginTransaction(deferred: false);
        try
        {
            SetTransaction(transaction);
            for (var i = 0; i < group.Count; i++)
            {
                var batch = group[i];
                // The id row goes in first: a second batch with the same id, in this group or
                // any later one, changes nothing and is reported as a duplicate.
                var inserted = Execute(_insertBatch, batch.BatchId, now, batch.Delta.SessionCount, batch.Delta.FetchCount);
                if (inserted == 0)
                {
                    results[i] = BatchCommitResult.Duplicate;
                    continue;
                }

                results[i] = BatchCommitResult.Committed;
                merged.Merge(batch.Delta);
            }

            var newPolicies = WriteDelta(merged);
            transaction.Commit();
            _knownPolicies.UnionWith(newPolicies);
            return results;
        }
        catch
        {
            transaction.Rollback();
            throw;
        }
    }

    private List<string> WriteDelta(DailyOutcomeDelta delta)
    {
        var newPolicies = new List<string>();
        foreach (var (key, policy) in delta.Policies)
        {
            if (_knownPolicies.Contains(key))
            {
                continue;
            }

            Execute(_insertPolicy, key, policy.Type.ToRfcName(), Json(policy.PolicyStrings), Json(policy.MxHosts), PolicyContent.Mode(policy.PolicyStrings));
            newPolicies.Add(key);
        }

        foreach (var (k, c) in delta.PolicyDays)
        {
            Execute(_upsertCounts, Day(k.Day), k.PolicyDomain.Value, k.PolicyKey, c.Successes, c.Failures);
        }

        foreach (var (k, c) in delta.Failures)
        {
            var d = c.Detail;
            Execute(_upsertDetail, Day(k.Day), k.PolicyDomain.Value, k.PolicyKey, k.DetailKey, d.ResultType.Name, d.SendingMtaIp,
                d.ReceivingMxHostname, d.ReceivingMxHelo, d.ReceivingIp, d.FailureReasonCode, d.AdditionalInformation, c.Count);
        }

        foreach (var (k, c) in delta.Fetches)
        {
            var o = c.Outcome;
            var policy = o.Policy?.Policy;
            Execute(_upsertFetch, Day(k.Day), k.PolicyDomain.Value, k.OutcomeKey, o.Result, o.TxtId, policy?.Mode.ToRfcName(), policy?.MaxAge,
                policy is null ? null : Json(policy.Mx.Select(p => p.Value).ToList()), o.Policy?.Text, o.Failure?.HttpStatus, o.Failure?.Reason,
                c.FirstSeen.ToUnixTimeMilliseconds(), c.LastSeen.ToUnixTimeMilliseconds(), c.Count);
        }

        return newPolicies;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var c in new[] { _insertBatch, _insertPolicy, _upsertCounts, _upsertDetail, _upsertFetch })
        {
            await c.DisposeAsync();
        }

        await _connection.DisposeAsync();
    }

    private SqliteCommand Command(string sql, params string[] parameters) => Sql.Command(_connection, sql, parameters);

    private void SetTransaction(SqliteTransaction transaction)
    {
        _insertBatch.Transaction = transaction;
        _insertPolicy.Transaction = transaction;
        _upsertCounts.Transaction = transaction;
        _upsertDetail.Transaction = transaction;
        _upsertFetch.Transaction = transaction;
    }

    private static int Execute(SqliteCommand command, params object?[] values) => command.Bind(values).ExecuteNonQuery();

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Json(IReadOnlyList<string> values) => JsonSerializer.Serialize(values);
}
