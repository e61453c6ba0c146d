namespace MtaStsReporting.Domain.Rollups;

/// <summary>Which way the sessions went; the same numbers as the query API's <c>Direction</c>.</summary>
public enum TrafficDirection
{
    /// <summary>Our relays delivering to other domains (relay outcomes).</summary>
    Outbound = 1,

    /// <summary>Reporters telling us about our domains (inbound RFC 8460 reports).</summary>
    Inbound = 2,
}

/// <summary>A policy domain on a UTC day (or the Monday that starts its week).</summary>
public readonly record struct DomainDay(DateOnly Day, string PolicyDomain);

/// <summary>Sessions and failures of a domain over a day or a week.</summary>
public readonly record struct SessionTotals(long Sessions, long Failures);

/// <summary>
/// How a range of days is read from the per-domain totals: whole weeks (Monday to Sunday) from
/// the weekly buckets, the days before the first and after the last whole week from the daily
/// ones. A 30-day range is then about six rows per domain instead of thirty.
/// </summary>
/// <param name="FirstWeek">Monday of the first whole week inside the range, or null when none fits.</param>
/// <param name="LastWeek">Monday of the last whole week inside the range, or null.</param>
/// <param name="Head">The days before the first whole week (or the whole range when no week fits), or null.</param>
/// <param name="Tail">The days after the last whole week, or null.</param>
public sealed record RangeCover(DateOnly? FirstWeek, DateOnly? LastWeek, (DateOnly From, DateOnly To)? Head, (DateOnly From, DateOnly To)? Tail);

/// <summary>
/// Per-domain totals by day and by week, both directions: what the domain list reads, so that
/// it does not aggregate every (day, domain, policy, reporter) row of its range.
/// </summary>
public static class DomainTotals
{
    /// <summary>The Monday of the (ISO 8601) week a day belongs to.</summary>
    public static DateOnly WeekOf(DateOnly day) => day.AddDays(-(((int)day.DayOfWeek + 6) % 7));

    /// <summary>Sums rows (day, domain, sessions, failures) per domain and day.</summary>
    public static Dictionary<DomainDay, SessionTotals> ByDay(IEnumerable<(DateOnly Day, string PolicyDomain, long Sessions, long Failures)> rows)
    {
        var totals = new Dictionary<DomainDay, SessionTotals>();
        foreach (var (day, domain, sessions, failures) in rows)
        {
            var key = new DomainDay(day, domain);
            var t = totals.GetValueOrDefault(key);
            totals[key] = new SessionTotals(t.Sessions + sessions, t.Failures + failures);
        }

        return totals;
    }

    /// <summary>Day totals summed per domain and week (keyed by the week's Monday).</summary>
    public static Dictionary<DomainDay, SessionTotals> ByWeek(IReadOnlyDictionary<DomainDay, SessionTotals> byDay) =>
        ByDay(byDay.Select(kv => (WeekOf(kv.Key.Day), kv.Key.PolicyDomain, kv.Value.Sessions, kv.Value.Failures)));

    /// <summary>The whole weeks and the edge days that make up <paramref name="from"/>..<paramref name="to"/> (inclusive).</summary>
    public static RangeCover Cover(DateOnly from, DateOnly to)
    {
        if (to < from)
        {
            return new RangeCover(null, null, null, null);
        }

        var firstMonday = WeekOf(from) == from ? from : WeekOf(from).AddDays(7);
        var lastSunday = WeekOf(to).AddDays(6) == to ? to : WeekOf(to).AddDays(-1);
        if (lastSunday < firstMonday)
        {
            return new RangeCover(null, null, (from, to), null);
        }

        return new RangeCover(
            firstMonday,
            lastSunday.AddDays(-6),
            from < firstMonday ? (from, firstMonday.AddDays(-1)) : null,
            to > lastSunday ? (lastSunday.AddDays(1), to) : null);
    }
}
