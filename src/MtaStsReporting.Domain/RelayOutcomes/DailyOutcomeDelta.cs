using MtaStsReporting.Domain.Names;

namespace MtaStsReporting.Domain.RelayOutcomes;

/// <summary>Counts for one (UTC day, policy domain, policy): the RFC 8460 §4.4 <c>summary</c>.</summary>
public sealed class PolicyDayCounts
{
    /// <summary><c>total-successful-session-count</c>.</summary>
    public long Successes { get; internal set; }

    /// <summary><c>total-failure-session-count</c>.</summary>
    public long Failures { get; internal set; }
}

/// <summary>A failure detail and the sessions that failed with it on one day.</summary>
public sealed class FailureDetailCount(FailureDetail detail)
{
    /// <summary>The detail.</summary>
    public FailureDetail Detail { get; } = detail;

    /// <summary><c>failed-session-count</c>.</summary>
    public long Count { get; internal set; }
}

/// <summary>Equal policy fetch outcomes on one day: first and last time seen, and how often.</summary>
public sealed class FetchDayCounts(PolicyFetchOutcome outcome)
{
    /// <summary>The first outcome seen with this content (its time is <see cref="FirstSeen"/>).</summary>
    public PolicyFetchOutcome Outcome { get; } = outcome;

    /// <summary>Earliest time seen.</summary>
    public DateTimeOffset FirstSeen { get; internal set; } = outcome.Time;

    /// <summary>Latest time seen.</summary>
    public DateTimeOffset LastSeen { get; internal set; } = outcome.Time;

    /// <summary>Number of fetches with this outcome.</summary>
    public long Count { get; internal set; }
}

/// <summary>Key of a per-day, per-domain, per-policy row.</summary>
public readonly record struct PolicyDayKey(DateOnly Day, DomainName PolicyDomain, string PolicyKey);

/// <summary>Key of a per-day failure detail row.</summary>
public readonly record struct FailureDayKey(DateOnly Day, DomainName PolicyDomain, string PolicyKey, string DetailKey);

/// <summary>Key of the TLSRPT record a relay saw for a recipient domain on a day.</summary>
public readonly record struct RecordDayKey(DateOnly Day, DomainName RecipientDomain);

/// <summary>Key of a per-day policy fetch row.</summary>
public readonly record struct FetchDayKey(DateOnly Day, DomainName PolicyDomain, string OutcomeKey);

/// <summary>
/// Outcomes folded into the shape of RFC 8460 reports: per UTC day (§4.1, reports cover UTC
/// days), per policy domain, per policy. Adding is cheap, so a stream of single outcomes or
/// many concurrent batches can be folded in memory and written as a handful of row updates.
/// </summary>
public sealed class DailyOutcomeDelta
{
    private readonly Dictionary<string, AppliedPolicy> _policies = [];
    private readonly Dictionary<PolicyDayKey, PolicyDayCounts> _policyDays = [];
    private readonly Dictionary<FailureDayKey, FailureDetailCount> _failures = [];
    private readonly Dictionary<FetchDayKey, FetchDayCounts> _fetches = [];
    private readonly Dictionary<RecordDayKey, string> _records = [];

    /// <summary>Distinct policies referenced.</summary>
    public IReadOnlyDictionary<string, AppliedPolicy> Policies => _policies;

    /// <summary>Session counts per day, domain and policy.</summary>
    public IReadOnlyDictionary<PolicyDayKey, PolicyDayCounts> PolicyDays => _policyDays;

    /// <summary>Failure detail counts.</summary>
    public IReadOnlyDictionary<FailureDayKey, FailureDetailCount> Failures => _failures;

    /// <summary>Policy fetch outcomes per day.</summary>
    public IReadOnlyDictionary<FetchDayKey, FetchDayCounts> Fetches => _fetches;

    /// <summary>
    /// The TLSRPT record (RFC 8460 §3) each recipient domain published, as the relays saw it on
    /// the day: where that day's report goes. The last one seen on a day wins.
    /// </summary>
    public IReadOnlyDictionary<RecordDayKey, string> TlsRptRecords => _records;

    /// <summary>Sum of the session counts added.</summary>
    public long SessionCount { get; private set; }

    /// <summary>Number of policy fetch outcomes added.</summary>
    public long FetchCount { get; private set; }

    /// <summary>True when nothing has been added.</summary>
    public bool IsEmpty => SessionCount == 0 && FetchCount == 0;

    /// <summary>The UTC day an instant belongs to.</summary>
    public static DateOnly UtcDay(DateTimeOffset time) => DateOnly.FromDateTime(time.UtcDateTime);

    /// <summary>Folds in one session outcome.</summary>
    public void Add(SessionOutcome outcome)
    {
        var policyKey = outcome.Policy.Key;
        _policies.TryAdd(policyKey, outcome.Policy);
        var key = new PolicyDayKey(UtcDay(outcome.Time), outcome.PolicyDomain, policyKey);
        var counts = GetOrAdd(_policyDays, key, static _ => new PolicyDayCounts());
        if (outcome.Failure is null)
        {
            counts.Successes += outcome.Count;
        }
        else
        {
            counts.Failures += outcome.Count;
            var fk = new FailureDayKey(key.Day, key.PolicyDomain, policyKey, outcome.Failure.Key);
            GetOrAdd(_failures, fk, _ => new FailureDetailCount(outcome.Failure)).Count += outcome.Count;
        }

        SessionCount += outcome.Count;
    }

    /// <summary>
    /// Folds in one session as a libtlsrpt datagram reports it (SPEC "Relays as they are"): a
    /// success or a failure by <paramref name="failed"/>, and each failure detail counted once
    /// under its own counter. RFC 8460 §4.4 lets a failed session have no detail, and a detail
    /// count differ from the failures.
    /// </summary>
    public void AddSession(DomainName domain, DateOnly day, AppliedPolicy policy, bool failed, IReadOnlyList<FailureDetail> details)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(details);
        var policyKey = policy.Key;
        _policies.TryAdd(policyKey, policy);
        var key = new PolicyDayKey(day, domain, policyKey);
        var counts = GetOrAdd(_policyDays, key, static _ => new PolicyDayCounts());
        if (failed)
        {
            counts.Failures++;
        }
        else
        {
            counts.Successes++;
        }

        foreach (var detail in details)
        {
            var fk = new FailureDayKey(day, domain, policyKey, detail.Key);
            GetOrAdd(_failures, fk, _ => new FailureDetailCount(detail)).Count++;
        }

        SessionCount++;
    }

    /// <summary>
    /// Folds in a day already counted elsewhere (a forwarder's collector): successes, failures
    /// and each detail's count, as they are; <see cref="SessionCount"/> grows by successes plus failures.
    /// </summary>
    public void AddDay(DomainName domain, DateOnly day, AppliedPolicy policy, long successes, long failures, IReadOnlyList<(FailureDetail Detail, long Count)> details)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(details);
        var policyKey = policy.Key;
        _policies.TryAdd(policyKey, policy);
        var counts = GetOrAdd(_policyDays, new PolicyDayKey(day, domain, policyKey), static _ => new PolicyDayCounts());
        counts.Successes += successes;
        counts.Failures += failures;
        foreach (var (detail, count) in details)
        {
            GetOrAdd(_failures, new FailureDayKey(day, domain, policyKey, detail.Key), _ => new FailureDetailCount(detail)).Count += count;
        }

        SessionCount += successes + failures;
    }

    /// <summary>Keeps the TLSRPT record a relay saw for <paramref name="domain"/> on <paramref name="day"/>.</summary>
    public void AddTlsRptRecord(DateOnly day, DomainName domain, string record)
    {
        ArgumentNullException.ThrowIfNull(record);
        _records[new RecordDayKey(day, domain)] = record;
    }

    /// <summary>Folds in one policy fetch outcome.</summary>
    public void Add(PolicyFetchOutcome outcome)
    {
        var key = new FetchDayKey(UtcDay(outcome.Time), outcome.PolicyDomain, outcome.Key);
        var counts = GetOrAdd(_fetches, key, _ => new FetchDayCounts(outcome));
        Widen(counts, outcome.Time, outcome.Time, 1);
        FetchCount++;
    }

    /// <summary>Folds in another delta (the group commit merges the batches it writes together).</summary>
    public void Merge(DailyOutcomeDelta other)
    {
        ArgumentNullException.ThrowIfNull(other);
        foreach (var (k, p) in other._policies)
        {
            _policies.TryAdd(k, p);
        }

        foreach (var (k, c) in other._policyDays)
        {
            var mine = GetOrAdd(_policyDays, k, static _ => new PolicyDayCounts());
            mine.Successes += c.Successes;
            mine.Failures += c.Failures;
        }

        foreach (var (k, c) in other._failures)
        {
            GetOrAdd(_failures, k, _ => new FailureDetailCount(c.Detail)).Count += c.Count;
        }

        foreach (var (k, c) in other._fetches)
        {
            Widen(GetOrAdd(_fetches, k, _ => new FetchDayCounts(c.Outcome)), c.FirstSeen, c.LastSeen, c.Count);
        }

        foreach (var (k, r) in other._records)
        {
            _records[k] = r;
        }

        SessionCount += other.SessionCount;
        FetchCount += other.FetchCount;
    }

    private static void Widen(FetchDayCounts counts, DateTimeOffset first, DateTimeOffset last, long count)
    {
        if (first < counts.FirstSeen)
        {
            counts.FirstSeen = first;
        }

        if (last > counts.LastSeen)
        {
            counts.LastSeen = last;
        }

        counts.Count += count;
    }

    private static TValue GetOrAdd<TKey, TValue>(Dictionary<TKey, TValue> map, TKey key, Func<TKey, TValue> create)
        where TKey : notnull
    {
        ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(map, key, out var exists);
        if (!exists)
        {
            slot = create(key);
        }

        return slot!;
    }
}
