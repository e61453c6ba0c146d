using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Relay;
using MtaStsReporting.Domain.RelayOutcomes;
using DomainPolicyType = MtaStsReporting.Domain.TlsRpt.PolicyType;

namespace MtaStsReporting.Daemon.Forward;

/// <summary>
/// Turns what the forwarder counted into relay API batches: each (day, domain, policy) a
/// <see cref="DailyCounts"/> with its details and the TLSRPT record seen, at most
/// <c>maxItems</c> items a batch (a day with its details stays in one batch).
/// </summary>
public static class BatchBuilder
{
    private static readonly Dictionary<string, ResultType> ApiResultTypes = Enum.GetValues<ResultType>()
        .Select(v => (Api: v, Error: RelayRequestReader.ToResultType(v, string.Empty, out var domain), Domain: domain))
        .Where(x => x.Error is null)
        .ToDictionary(x => x.Domain.Name, x => x.Api, StringComparer.Ordinal);

    public static List<OutcomeBatch> Build(DailyOutcomeDelta delta, int maxItems)
    {
        var details = delta.Failures.GroupBy(f => new PolicyDayKey(f.Key.Day, f.Key.PolicyDomain, f.Key.PolicyKey)).ToDictionary(g => g.Key, g => g.ToList());
        var batches = new List<OutcomeBatch>();
        var current = new OutcomeBatch();
        var items = 0;
        foreach (var (key, counts) in delta.PolicyDays)
        {
            var day = new DailyCounts
            {
                PolicyDomain = key.PolicyDomain.Value,
                Day = key.Day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                Policy = ToApi(delta.Policies[key.PolicyKey]),
                Successes = counts.Successes,
                Failures = counts.Failures,
                TlsrptRecord = delta.TlsRptRecords.GetValueOrDefault(new RecordDayKey(key.Day, key.PolicyDomain)) ?? string.Empty,
            };
            foreach (var (_, detail) in details.GetValueOrDefault(key) ?? [])
            {
                day.FailureDetails.Add(new Api.V1.FailureDetailCount { Failure = ToApi(detail.Detail), Count = detail.Count });
            }

            var size = 1 + day.FailureDetails.Count;
            if (items > 0 && items + size > maxItems)
            {
                batches.Add(current);
                current = new OutcomeBatch();
                items = 0;
            }

            current.DailyCounts.Add(day);
            items += size;
        }

        if (items > 0)
        {
            batches.Add(current);
        }

        return batches;
    }

    private static Api.V1.AppliedPolicy ToApi(Domain.RelayOutcomes.AppliedPolicy policy) => new()
    {
        PolicyType = policy.Type switch
        {
            DomainPolicyType.Sts => PolicyType.Sts,
            DomainPolicyType.Tlsa => PolicyType.Tlsa,
            _ => PolicyType.NoPolicyFound,
        },
        PolicyString = { policy.PolicyStrings },
        MxHost = { policy.MxHosts },
    };

    private static Api.V1.FailureDetail ToApi(Domain.RelayOutcomes.FailureDetail detail) => new()
    {
        ResultType = ApiResultTypes[detail.ResultType.Name],
        SendingMtaIp = detail.SendingMtaIp ?? string.Empty,
        ReceivingMxHostname = detail.ReceivingMxHostname ?? string.Empty,
        ReceivingMxHelo = detail.ReceivingMxHelo ?? string.Empty,
        ReceivingIp = detail.ReceivingIp ?? string.Empty,
        FailureReasonCode = detail.FailureReasonCode ?? string.Empty,
        AdditionalInformation = detail.AdditionalInformation ?? string.Empty,
    };
}
