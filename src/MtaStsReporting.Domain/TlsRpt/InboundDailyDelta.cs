namespace MtaStsReporting.Domain.TlsRpt;

/// <summary>Key of an inbound per-day row: what one reporter said about one policy of one of our domains on one UTC day.</summary>
public readonly record struct InboundDayKey(DateOnly Day, string PolicyDomain, string OrganizationName, string PolicyKey);

/// <summary>Key of an inbound per-day failure row.</summary>
public readonly record struct InboundFailureKey(InboundDayKey Row, string DetailKey);

/// <summary>A policy as reported (RFC 8460 §4.4 <c>policy</c>), with its content key.</summary>
public sealed record ReportedPolicy(string Key, string PolicyType, IReadOnlyList<string> PolicyStrings, IReadOnlyList<string> MxHosts, string? Mode);

/// <summary>Sessions and reports on one inbound row.</summary>
public sealed class InboundDayCounts
{
    /// <summary><c>total-successful-session-count</c>, summed.</summary>
    public long Successes { get; internal set; }

    /// <summary><c>total-failure-session-count</c>, summed.</summary>
    public long Failures { get; internal set; }

    /// <summary>Reports that contributed to the row.</summary>
    public long Reports { get; internal set; }
}

/// <summary>A failure detail of inbound reports, reduced to what queries group by, with its sessions.</summary>
public sealed class InboundFailureCount(string resultType, string? sendingMtaIp, string? receivingMxHostname, string? receivingIp)
{
    /// <summary><c>result-type</c>.</summary>
    public string ResultType { get; } = resultType;

    /// <summary><c>sending-mta-ip</c>.</summary>
    public string? SendingMtaIp { get; } = sendingMtaIp;

    /// <summary><c>receiving-mx-hostname</c>.</summary>
    public string? ReceivingMxHostname { get; } = receivingMxHostname;

    /// <summary><c>receiving-ip</c>.</summary>
    public string? ReceivingIp { get; } = receivingIp;

    /// <summary><c>failed-session-count</c>, summed.</summary>
    public long Count { get; internal set; }
}

/// <summary>
/// Inbound reports folded into the per-day rows that queries read, the inbound twin of
/// <see cref="RelayOutcomes.DailyOutcomeDelta"/>: per UTC day, per policy domain, per reporting
/// organisation, per policy. A report covers one UTC day (RFC 8460 §4.1); one that spans more
/// is counted on its first. A policy without a domain cannot be attributed to one of ours: it
/// stays in the stored report (flagged) but not in the roll-up.
/// </summary>
public sealed class InboundDailyDelta
{
    private readonly Dictionary<string, ReportedPolicy> _policies = new(StringComparer.Ordinal);
    private readonly Dictionary<InboundDayKey, InboundDayCounts> _days = [];
    private readonly Dictionary<InboundFailureKey, InboundFailureCount> _failures = [];

    /// <summary>Distinct policies referenced.</summary>
    public IReadOnlyDictionary<string, ReportedPolicy> Policies => _policies;

    /// <summary>Sessions and reports per day, domain, reporter and policy.</summary>
    public IReadOnlyDictionary<InboundDayKey, InboundDayCounts> Days => _days;

    /// <summary>Failed sessions per row and detail (result type, sending IP, receiving MX and IP).</summary>
    public IReadOnlyDictionary<InboundFailureKey, InboundFailureCount> Failures => _failures;

    /// <summary>Folds in one report.</summary>
    public void Add(TlsReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var day = DateOnly.FromDateTime(report.StartDatetime.UtcDateTime);
        var counted = new HashSet<InboundDayKey>();
        foreach (var p in report.Policies)
        {
            if (p.PolicyDomain is null)
            {
                continue;
            }

            var policyKey = PolicyContent.Key(p.PolicyType, p.PolicyStrings, p.MxHosts);
            _policies.TryAdd(policyKey, new ReportedPolicy(policyKey, p.PolicyType, p.PolicyStrings, p.MxHosts, PolicyContent.Mode(p.PolicyStrings)));
            var key = new InboundDayKey(day, p.PolicyDomain, report.OrganizationName, policyKey);
            if (!_days.TryGetValue(key, out var counts))
            {
                _days[key] = counts = new InboundDayCounts();
            }

            counts.Successes += p.TotalSuccessfulSessionCount;
            counts.Failures += p.TotalFailureSessionCount;
            // A report that lists the same policy twice is still one report.
            if (counted.Add(key))
            {
                counts.Reports++;
            }

            foreach (var d in p.FailureDetails)
            {
                var detailKey = PolicyContent.Key(d.ResultType, [d.SendingMtaIp ?? string.Empty, d.ReceivingMxHostname ?? string.Empty, d.ReceivingIp ?? string.Empty], []);
                var fk = new InboundFailureKey(key, detailKey);
                if (!_failures.TryGetValue(fk, out var failure))
                {
                    _failures[fk] = failure = new InboundFailureCount(d.ResultType, d.SendingMtaIp, d.ReceivingMxHostname, d.ReceivingIp);
                }

                failure.Count += d.FailedSessionCount;
            }
        }
    }
}
