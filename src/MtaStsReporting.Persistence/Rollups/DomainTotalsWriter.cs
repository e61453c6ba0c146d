using MtaStsReporting.Domain.Rollups;
using MtaStsReporting.Persistence.Schema;
using MtaStsReporting.Persistence.Store;

namespace MtaStsReporting.Persistence.Rollups;

/// <summary>
/// Adds a transaction's rows to the per-domain day and week totals (<c>domain_days</c>,
/// <c>domain_weeks</c>), in the same transaction as the rows they sum: the relay counters for
/// outbound, the inbound roll-up for inbound.
/// </summary>
internal static class DomainTotalsWriter
{
    public static void Add(WriteSession session, TrafficDirection direction, IEnumerable<(DateOnly Day, string PolicyDomain, long Sessions, long Failures)> rows)
    {
        var byDay = DomainTotals.ByDay(rows);
        if (byDay.Count == 0)
        {
            return;
        }

        var days = session.InWriteOrder(byDay, Order).ToList();
        var weeks = session.InWriteOrder(DomainTotals.ByWeek(byDay), Order).ToList();
        var dir = (int)direction;
        if (session.Dialect.ArrayWrites)
        {
            session.Execute(DomainTotalsTable.AddDays, dir, days.Select(r => r.Key.Day).ToArray(), days.Select(r => r.Key.PolicyDomain).ToArray(),
                days.Select(r => r.Value.Sessions).ToArray(), days.Select(r => r.Value.Failures).ToArray());
            session.Execute(DomainTotalsTable.AddWeeks, dir, weeks.Select(r => r.Key.Day).ToArray(), weeks.Select(r => r.Key.PolicyDomain).ToArray(),
                weeks.Select(r => r.Value.Sessions).ToArray(), weeks.Select(r => r.Value.Failures).ToArray());
            return;
        }

        foreach (var (k, t) in days)
        {
            session.Execute(DomainTotalsTable.AddDay, dir, k.Day, k.PolicyDomain, t.Sessions, t.Failures);
        }

        foreach (var (k, t) in weeks)
        {
            session.Execute(DomainTotalsTable.AddWeek, dir, k.Day, k.PolicyDomain, t.Sessions, t.Failures);
        }

        static string Order(DomainDay k) => $"{k.Day:O}|{k.PolicyDomain}";
    }
}
