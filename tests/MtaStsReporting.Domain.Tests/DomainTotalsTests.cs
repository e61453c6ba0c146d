using MtaStsReporting.Domain.Rollups;

namespace MtaStsReporting.Domain.Tests;

public class DomainTotalsTests
{
    private static DateOnly D(int month, int day) => new(2026, month, day);

    [Theory]
    [InlineData(11, 30, 11, 30)] // a Monday is its own week's start
    [InlineData(12, 1, 11, 30)]
    [InlineData(12, 6, 11, 30)] // Sunday: the last day of the week
    [InlineData(12, 7, 12, 7)] // the next Monday
    [InlineData(1, 1, 12, 29)] // 2026-01-01, a Thursday: its week started in 2025
    public void A_day_belongs_to_the_week_of_its_monday(int month, int day, int mondayMonth, int monday)
    {
        var expected = month == 1 && mondayMonth == 12 ? new DateOnly(2025, 12, monday) : D(mondayMonth, monday);
        Assert.Equal(expected, DomainTotals.WeekOf(D(month, day)));
    }

    public static TheoryData<DateOnly, DateOnly, RangeCover> Ranges => new()
    {
        // Exactly one week, Monday to Sunday: the week alone.
        { D(11, 30), D(12, 6), new RangeCover(D(11, 30), D(11, 30), null, null) },
        // One day short at either end: no whole week, all days.
        { D(11, 30), D(12, 5), new RangeCover(null, null, (D(11, 30), D(12, 5)), null) },
        { D(12, 1), D(12, 6), new RangeCover(null, null, (D(12, 1), D(12, 6)), null) },
        // One day more at either end: the week and that day.
        { D(11, 29), D(12, 6), new RangeCover(D(11, 30), D(11, 30), (D(11, 29), D(11, 29)), null) },
        { D(11, 30), D(12, 7), new RangeCover(D(11, 30), D(11, 30), null, (D(12, 7), D(12, 7))) },
        // 30 days ending on a Tuesday: four whole weeks, four days before, two after.
        { D(11, 3), D(12, 2), new RangeCover(D(11, 9), D(11, 23), (D(11, 3), D(11, 8)), (D(11, 30), D(12, 2))) },
        // One day, and an empty range.
        { D(12, 2), D(12, 2), new RangeCover(null, null, (D(12, 2), D(12, 2)), null) },
        { D(12, 2), D(12, 1), new RangeCover(null, null, null, null) },
    };

    [Theory]
    [MemberData(nameof(Ranges))]
    public void A_range_is_whole_weeks_and_the_days_at_its_edges(DateOnly from, DateOnly to, RangeCover expected) =>
        Assert.Equal(expected, DomainTotals.Cover(from, to));

    [Fact]
    public void Every_day_of_a_range_is_counted_once_by_its_cover()
    {
        for (var length = 0; length < 40; length++)
        {
            for (var start = 0; start < 7; start++)
            {
                var from = D(11, 1).AddDays(start);
                var to = from.AddDays(length);
                var c = DomainTotals.Cover(from, to);
                var days = new List<DateOnly>();
                for (var w = c.FirstWeek; w is not null && w <= c.LastWeek; w = w.Value.AddDays(7))
                {
                    days.AddRange(Enumerable.Range(0, 7).Select(i => w.Value.AddDays(i)));
                }

                foreach (var edge in new[] { c.Head, c.Tail }.OfType<(DateOnly From, DateOnly To)>())
                {
                    days.AddRange(Enumerable.Range(0, edge.To.DayNumber - edge.From.DayNumber + 1).Select(i => edge.From.AddDays(i)));
                }

                Assert.Equal(Enumerable.Range(0, length + 1).Select(i => from.AddDays(i)), days.Order());
            }
        }
    }

    [Fact]
    public void Rows_are_summed_per_domain_and_day_and_then_per_week()
    {
        var byDay = DomainTotals.ByDay(
        [
            (D(12, 1), "a.example", 10, 1), (D(12, 1), "a.example", 5, 2), (D(12, 1), "b.example", 7, 0),
            (D(12, 6), "a.example", 3, 3), (D(12, 7), "a.example", 1, 0),
        ]);

        Assert.Equal(new SessionTotals(15, 3), byDay[new DomainDay(D(12, 1), "a.example")]);
        Assert.Equal(new SessionTotals(7, 0), byDay[new DomainDay(D(12, 1), "b.example")]);
        Assert.Equal(4, byDay.Count);
        var byWeek = DomainTotals.ByWeek(byDay);
        Assert.Equal(new SessionTotals(18, 6), byWeek[new DomainDay(D(11, 30), "a.example")]);
        Assert.Equal(new SessionTotals(1, 0), byWeek[new DomainDay(D(12, 7), "a.example")]);
        Assert.Equal(new SessionTotals(7, 0), byWeek[new DomainDay(D(11, 30), "b.example")]);
        Assert.Equal(3, byWeek.Count);
        Assert.Equal(1, (int)TrafficDirection.Outbound);
        Assert.Equal(2, (int)TrafficDirection.Inbound);
    }
}
