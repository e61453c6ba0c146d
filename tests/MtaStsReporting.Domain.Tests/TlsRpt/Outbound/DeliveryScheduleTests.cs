using MtaStsReporting.Domain.TlsRpt.Outbound;

namespace MtaStsReporting.Domain.Tests.TlsRpt.Outbound;

public class DeliveryScheduleTests
{
    private static readonly DeliverySchedule Schedule = new(
        BuildDelay: TimeSpan.FromMinutes(15), SpreadWindow: TimeSpan.FromHours(4), FirstRetry: TimeSpan.FromMinutes(5),
        MaxRetry: TimeSpan.FromHours(4), GiveUpAfter: TimeSpan.FromDays(2), SuppressAfter: 3, SuppressFor: TimeSpan.FromDays(7));

    private static readonly DateOnly Day = new(2026, 11, 28);
    private static readonly DateTimeOffset BuildTime = DateTimeOffset.Parse("2026-11-29T00:15:00Z");

    [Fact]
    public void A_day_is_built_the_build_delay_after_it_ends()
    {
        Assert.Equal(BuildTime, Schedule.BuildAt(Day));
        Assert.Equal(DateTimeOffset.Parse("2026-11-29T00:00:00Z"), (Schedule with { BuildDelay = TimeSpan.Zero }).BuildAt(Day));
    }

    [Fact]
    public void First_attempts_fall_inside_the_spread_window_the_same_for_the_same_report_and_spread_over_it()
    {
        var attempts = Enumerable.Range(0, 400).Select(i => Schedule.FirstAttempt(Day, $"report-{i}")).ToList();

        Assert.All(attempts, a => Assert.InRange(a, BuildTime, BuildTime + TimeSpan.FromHours(4) - TimeSpan.FromTicks(1)));
        Assert.Equal(attempts[7], Schedule.FirstAttempt(Day, "report-7"));
        // Each hour of the four gets about a quarter (100 expected; far from 0 or 400).
        var perHour = attempts.GroupBy(a => (int)(a - BuildTime).TotalHours).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal([0, 1, 2, 3], perHour.Keys.Order());
        Assert.All(perHour.Values, n => Assert.InRange(n, 60, 140));
    }

    [Fact]
    public void Without_a_spread_window_every_report_goes_at_the_build_time()
    {
        Assert.Equal(BuildTime, (Schedule with { SpreadWindow = TimeSpan.Zero }).FirstAttempt(Day, "report-1"));
    }

    [Theory]
    [InlineData(1, 5)]
    [InlineData(2, 10)]
    [InlineData(3, 20)]
    [InlineData(6, 160)]
    [InlineData(7, 240)]
    [InlineData(8, 240)]
    [InlineData(40, 240)]
    public void Retries_double_from_the_first_delay_up_to_the_longest(int failures, int minutes)
    {
        Assert.Equal(TimeSpan.FromMinutes(minutes), Schedule.RetryDelay(failures));
    }

    [Fact]
    public void A_retry_that_would_fall_after_the_give_up_time_is_not_planned()
    {
        var first = BuildTime;
        var giveUp = first + TimeSpan.FromDays(2);

        Assert.Equal(giveUp, Schedule.NextAttempt(first, giveUp - TimeSpan.FromMinutes(5), 1));
        Assert.Null(Schedule.NextAttempt(first, giveUp - TimeSpan.FromMinutes(5) + TimeSpan.FromTicks(1), 1));
        Assert.Equal(first + TimeSpan.FromMinutes(10), Schedule.NextAttempt(first, first + TimeSpan.FromMinutes(5), 1));
        Assert.Equal(first + TimeSpan.FromMinutes(15), Schedule.NextAttempt(first, first + TimeSpan.FromMinutes(5), 2));
    }

    [Fact]
    public void A_destination_is_suppressed_from_the_nth_failed_report_in_a_row()
    {
        var at = DateTimeOffset.Parse("2026-11-29T03:00:00Z");

        Assert.Null(Schedule.SuppressedUntil(2, at));
        Assert.Equal(at + TimeSpan.FromDays(7), Schedule.SuppressedUntil(3, at));
        Assert.Equal(at + TimeSpan.FromDays(7), Schedule.SuppressedUntil(4, at));
    }

    [Fact]
    public void The_defaults_are_the_documented_ones()
    {
        Assert.Equal(Schedule, DeliverySchedule.Default with { });
    }
}

public class DeliveryStepTests
{
    private static readonly DeliverySchedule Schedule = DeliverySchedule.Default;
    private static readonly DateTimeOffset First = DateTimeOffset.Parse("2026-11-29T01:00:00Z");

    [Fact]
    public void A_delivered_answer_ends_the_delivery_as_delivered()
    {
        Assert.Equal(new DeliveryStep(DeliveryStates.Delivered, null, false), Schedule.After(DeliveryAnswer.FromHttp(202, "Accepted"), First, First, 1));
    }

    [Fact]
    public void A_permanent_answer_ends_it_as_failed_and_counts_against_the_destination()
    {
        Assert.Equal(new DeliveryStep(DeliveryStates.Failed, null, true), Schedule.After(DeliveryAnswer.FromSmtp(550, "5.1.1 no such user"), First, First, 1));
    }

    [Fact]
    public void A_temporary_answer_plans_the_next_attempt_until_the_give_up_time_then_gives_up()
    {
        var answer = DeliveryAnswer.FromSmtp(451, "4.3.0 later");

        Assert.Equal(new DeliveryStep(DeliveryStates.Pending, First.AddMinutes(10), false), Schedule.After(answer, First, First.AddMinutes(5), 1));
        Assert.Equal(new DeliveryStep(DeliveryStates.Pending, First.AddMinutes(25), false), Schedule.After(answer, First, First.AddMinutes(15), 2));
        var lastChance = First + Schedule.GiveUpAfter - Schedule.MaxRetry;
        Assert.Equal(new DeliveryStep(DeliveryStates.Pending, First + Schedule.GiveUpAfter, false), Schedule.After(answer, First, lastChance, 20));
        Assert.Equal(new DeliveryStep(DeliveryStates.GivenUp, null, true), Schedule.After(answer, First, lastChance.AddTicks(1), 20));
    }
}
