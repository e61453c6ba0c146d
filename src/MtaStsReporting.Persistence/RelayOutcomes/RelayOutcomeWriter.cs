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

    // The TLSRPT record last written per recipient domain and day: relays pass it with every
    // datagram, and it changes rarely, so only a change is written. Only the writer's loop touches it.
    private readonly Dictionary<RecordDayKey, string> _knownRecords = [];

    /// <summary>Commits a batch; completes once it is durable, or known as a duplicate.</summary>
    /// <exception cref="StoreUnavailableException">Nothing of the batch was stored; the relay may retry.</exception>
    public Task<BatchCommitResult> CommitAsync(PendingBatch batch, CancellationToken cancellationToken) =>
        store.WriteAsync(store.Dialect.ArrayWrites
            ? WriteUnit<BatchCommitResult>.Deferred(s => StageForArrays(s, batch), batch.Delta.SessionCount)
            : new WriteUnit<BatchCommitResult>(s => Stage(s, batch), batch.Delta.SessionCount), cancellationToken);

    /// <summary>
    /// Where rows are written from arrays: the batch joins the group's list, and the ids of the
    /// whole group are inserted in one statement at the flush, which says which were new.
    /// Within a group the first batch with an id is the one that may count.
    /// </summary>
    private Func<BatchCommitResult> StageForArrays(WriteSession session, PendingBatch batch)
    {
        var group = session.Stage(StageKey, () => new ArrayGroup(), FlushArrays);
        if (!group.Batches.TryAdd(batch.BatchId, batch))
        {
            return () => BatchCommitResult.Duplicate;
        }

        return () => group.Inserted.Contains(batch.BatchId) ? BatchCommitResult.Committed : BatchCommitResult.Duplicate;
    }

    private void FlushArrays(WriteSession session, ArrayGroup group)
    {
        var batches = group.Batches.Values.OrderBy(b => b.BatchId, StringComparer.Ordinal).ToList();
        using (var reader = session.Reader(RelayCounterArrays.InsertBatches,
            batches.Select(b => b.BatchId).ToArray(), batches.Select(_ => session.Now.ToUnixTimeMilliseconds()).ToArray(),
            batches.Select(b => b.Delta.SessionCount).ToArray(), batches.Select(b => b.Delta.FetchCount).ToArray()))
        {
            while (reader.Read())
            {
                group.Inserted.Add(reader.GetString(0));
            }
        }

        var merged = new DailyOutcomeDelta();
        foreach (var batch in batches.Where(b => group.Inserted.Contains(b.BatchId)))
        {
            merged.Merge(batch.Delta);
        }

        Write(session, merged);
    }

    private sealed class ArrayGroup
    {
        public Dictionary<string, PendingBatch> Batches { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Inserted { get; } = new(StringComparer.Ordinal);
    }

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
        var newPolicies = new List<string>();
        foreach (var (key, policy) in session.InWriteOrder(delta.Policies, k => k))
        {
            if (_knownPolicies.Contains(key))
            {
                continue;
            }

            session.Execute(PoliciesTable.Insert, key, policy.Type.ToRfcName(), Json(policy.PolicyStrings), Json(policy.MxHosts), PolicyContent.Mode(policy.PolicyStrings));
            newPolicies.Add(key);
        }

        var days = session.InWriteOrder(delta.PolicyDays, k => $"{k.Day:O}|{k.PolicyDomain.Value}|{k.PolicyKey}").ToList();
        var failures = session.InWriteOrder(delta.Failures, k => $"{k.Day:O}|{k.PolicyDomain.Value}|{k.PolicyKey}|{k.DetailKey}").ToList();
        if (session.Dialect.ArrayWrites)
        {
            WriteCountersAsArrays(session, days, failures);
        }
        else
        {
            foreach (var (k, c) in days)
            {
                session.Execute(DailyPolicyCountsTable.Add, k.Day, k.PolicyDomain.Value, k.PolicyKey, c.Successes, c.Failures);
            }

            foreach (var (k, c) in failures)
            {
                var d = c.Detail;
                session.Execute(DailyFailureDetailsTable.Add, k.Day, k.PolicyDomain.Value, k.PolicyKey, k.DetailKey, d.ResultType.Name, d.SendingMtaIp,
                    d.ReceivingMxHostname, d.ReceivingMxHelo, d.ReceivingIp, d.FailureReasonCode, d.AdditionalInformation, c.Count);
            }
        }

        Rollups.DomainTotalsWriter.Add(session, Domain.Rollups.TrafficDirection.Outbound,
            days.Select(r => (r.Key.Day, r.Key.PolicyDomain.Value, r.Value.Successes + r.Value.Failures, r.Value.Failures)));

        foreach (var (k, c) in session.InWriteOrder(delta.Fetches, k => $"{k.Day:O}|{k.PolicyDomain.Value}|{k.OutcomeKey}"))
        {
            var o = c.Outcome;
            var policy = o.Policy?.Policy;
            session.Execute(PolicyFetchDaysTable.Add, k.Day, k.PolicyDomain.Value, k.OutcomeKey, o.Result, o.TxtId, policy?.Mode.ToRfcName(), policy?.MaxAge,
                policy is null ? null : Json(policy.Mx.Select(p => p.Value).ToList()), o.Policy?.Text, o.Failure?.HttpStatus, o.Failure?.Reason,
                c.FirstSeen.ToUnixTimeMilliseconds(), c.LastSeen.ToUnixTimeMilliseconds(), c.Count);
        }

        var newRecords = new List<KeyValuePair<RecordDayKey, string>>();
        foreach (var (k, record) in session.InWriteOrder(delta.TlsRptRecords, k => $"{k.Day:O}|{k.RecipientDomain.Value}"))
        {
            if (_knownRecords.TryGetValue(k, out var known) && known == record)
            {
                continue;
            }

            session.Execute(TlsRptRecordDaysTable.Put, k.Day, k.RecipientDomain.Value, record);
            newRecords.Add(new(k, record));
        }

        session.AfterCommit(() =>
        {
            _knownPolicies.UnionWith(newPolicies);
            if (_knownRecords.Count > 100_000)
            {
                _knownRecords.Clear();
            }

            foreach (var (k, record) in newRecords)
            {
                _knownRecords[k] = record;
            }
        });
    }

    /// <summary>The same rows as the per-row statements, in two statements (see <see cref="RelayCounterArrays"/>).</summary>
    private static void WriteCountersAsArrays(WriteSession session, List<KeyValuePair<PolicyDayKey, PolicyDayCounts>> days, List<KeyValuePair<FailureDayKey, FailureDetailCount>> failures)
    {
        if (days.Count > 0)
        {
            session.Execute(RelayCounterArrays.AddCounts,
                days.Select(r => r.Key.Day).ToArray(), days.Select(r => r.Key.PolicyDomain.Value).ToArray(), days.Select(r => r.Key.PolicyKey).ToArray(),
                days.Select(r => r.Value.Successes).ToArray(), days.Select(r => r.Value.Failures).ToArray());
        }

        if (failures.Count > 0)
        {
            var details = failures.Select(r => r.Value.Detail).ToList();
            session.Execute(RelayCounterArrays.AddDetails,
                failures.Select(r => r.Key.Day).ToArray(), failures.Select(r => r.Key.PolicyDomain.Value).ToArray(), failures.Select(r => r.Key.PolicyKey).ToArray(),
                failures.Select(r => r.Key.DetailKey).ToArray(), details.Select(d => d.ResultType.Name).ToArray(), details.Select(d => d.SendingMtaIp).ToArray(),
                details.Select(d => d.ReceivingMxHostname).ToArray(), details.Select(d => d.ReceivingMxHelo).ToArray(), details.Select(d => d.ReceivingIp).ToArray(),
                details.Select(d => d.FailureReasonCode).ToArray(), details.Select(d => d.AdditionalInformation).ToArray(), failures.Select(r => r.Value.Count).ToArray());
        }
    }

    private static string Json(IReadOnlyList<string> values) => JsonSerializer.Serialize(values);
}
