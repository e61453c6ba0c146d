using System.Text.Json;
using MtaStsReporting.Domain.MtaSts;
using MtaStsReporting.Domain.RelayOutcomes;
using MtaStsReporting.Domain.TlsRpt;
using MtaStsReporting.Persistence.Schema;
using MtaStsReporting.Persistence.Store;

namespace MtaStsReporting.Persistence.RelayOutcomes;

/// <summary>A relay batch waiting for the next group commit.</summary>
/// <param name="BatchId">The relay's id for the batch; unique across every instance sharing the database.</param>
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
/// The relay part of the store. Every batch of a group commit inserts its id (a second batch
/// with the same id, from any instance, changes nothing); the new batches' deltas are merged in
/// memory and written once per transaction with upserts that add to the per-day counters.
/// Hand-written SQL rather than EF's change tracker: every row is a read-modify-write that the
/// database does in one statement, and the statements stay prepared across groups.
/// </summary>
public sealed class RelayOutcomeWriter(ReportingStore store)
{
    private const string StageKey = "relay-delta";

    // Policies known to be stored (they are never deleted), so that their insert is skipped.
    // Only the writer's loop touches it.
    private readonly HashSet<string> _knownPolicies = [];

    /// <summary>Commits a batch; completes once it is durable, or known as a duplicate.</summary>
    /// <exception cref="StoreUnavailableException">Nothing of the batch was stored; the relay may retry.</exception>
    public Task<BatchCommitResult> CommitAsync(PendingBatch batch, CancellationToken cancellationToken) =>
        store.WriteAsync(new WriteUnit<BatchCommitResult>(s => Stage(s, batch), batch.Delta.SessionCount), cancellationToken);

    private BatchCommitResult Stage(WriteSession session, PendingBatch batch)
    {
        // The id row goes in first: a second batch with the same id, in this group or any later
        // one, changes nothing and is reported as a duplicate.
        var inserted = session.Execute(RelayBatchesTable.Insert, batch.BatchId, session.Now.ToUnixTimeMilliseconds(), batch.Delta.SessionCount, batch.Delta.FetchCount);
        if (inserted == 0)
        {
            return BatchCommitResult.Duplicate;
        }

        session.Stage(StageKey, () => new DailyOutcomeDelta(), Write).Merge(batch.Delta);
        return BatchCommitResult.Committed;
    }

    private void Write(WriteSession session, DailyOutcomeDelta delta)
    {
        var ordered = session.Dialect.SharedWriters;
        var newPolicies = new List<string>();
        foreach (var (key, policy) in InOrder(delta.Policies, k => k, ordered))
        {
            if (_knownPolicies.Contains(key))
            {
                continue;
            }

            session.Execute(PoliciesTable.Insert, key, policy.Type.ToRfcName(), Json(policy.PolicyStrings), Json(policy.MxHosts), PolicyContent.Mode(policy.PolicyStrings));
            newPolicies.Add(key);
        }

        foreach (var (k, c) in InOrder(delta.PolicyDays, k => $"{k.Day:O}|{k.PolicyDomain.Value}|{k.PolicyKey}", ordered))
        {
            session.Execute(DailyPolicyCountsTable.Add, k.Day, k.PolicyDomain.Value, k.PolicyKey, c.Successes, c.Failures);
        }

        foreach (var (k, c) in InOrder(delta.Failures, k => $"{k.Day:O}|{k.PolicyDomain.Value}|{k.PolicyKey}|{k.DetailKey}", ordered))
        {
            var d = c.Detail;
            session.Execute(DailyFailureDetailsTable.Add, k.Day, k.PolicyDomain.Value, k.PolicyKey, k.DetailKey, d.ResultType.Name, d.SendingMtaIp,
                d.ReceivingMxHostname, d.ReceivingMxHelo, d.ReceivingIp, d.FailureReasonCode, d.AdditionalInformation, c.Count);
        }

        foreach (var (k, c) in InOrder(delta.Fetches, k => $"{k.Day:O}|{k.PolicyDomain.Value}|{k.OutcomeKey}", ordered))
        {
            var o = c.Outcome;
            var policy = o.Policy?.Policy;
            session.Execute(PolicyFetchDaysTable.Add, k.Day, k.PolicyDomain.Value, k.OutcomeKey, o.Result, o.TxtId, policy?.Mode.ToRfcName(), policy?.MaxAge,
                policy is null ? null : Json(policy.Mx.Select(p => p.Value).ToList()), o.Policy?.Text, o.Failure?.HttpStatus, o.Failure?.Reason,
                c.FirstSeen.ToUnixTimeMilliseconds(), c.LastSeen.ToUnixTimeMilliseconds(), c.Count);
        }

        session.AfterCommit(() => _knownPolicies.UnionWith(newPolicies));
    }

    /// <summary>
    /// Rows in key order where several instances write (see <see cref="StoreDialect.SharedWriters"/>);
    /// as they come otherwise, since sorting costs the embedded engine time for nothing. The
    /// order is ordinal on the key's text: the same on every instance, whatever its culture.
    /// </summary>
    internal static IEnumerable<KeyValuePair<TKey, TValue>> InOrder<TKey, TValue>(IReadOnlyDictionary<TKey, TValue> rows, Func<TKey, string> sortKey, bool ordered) =>
        ordered ? rows.OrderBy(kv => sortKey(kv.Key), StringComparer.Ordinal) : rows;

    private static string Json(IReadOnlyList<string> values) => JsonSerializer.Serialize(values);
}
