using MtaStsReporting.Daemon.Security;
using MtaStsReporting.Daemon.Tests.Support;

namespace MtaStsReporting.Daemon.Tests.Security;

/// <summary>The per-caller bucket on a clock the test moves: a burst of the rate, then the rate a second, never more.</summary>
public sealed class CallerRateLimiterTests
{
    private static int Take(CallerRateLimiter limiter, string caller, int attempts) =>
        Enumerable.Range(0, attempts).Count(_ => limiter.TryAcquire(caller));

    [Fact]
    public void A_second_after_a_quiet_spell_allows_one_burst_plus_the_rate()
    {
        var clock = new FixedTimeProvider(InProcessDaemon.DefaultNow);
        var limiter = new CallerRateLimiter(50, clock);
        Take(limiter, "k", 1);
        clock.Now += TimeSpan.FromSeconds(5); // quiet: the bucket is full again, not fuller

        var granted = 0;
        for (var ms = 0; ms < 1000; ms += 10)
        {
            granted += Take(limiter, "k", 100);
            clock.Now += TimeSpan.FromMilliseconds(10);
        }

        // 50 at once, then 0.5 a tick for 99 ticks: 49 (the 100th tick is outside the second).
        Assert.Equal(50 + 49, granted);
    }

    [Theory]
    [InlineData(0, 20)]     // a full bucket: the burst
    [InlineData(49, 0)]     // 20/s: 49 ms refills 0.98 of a call
    [InlineData(50, 1)]     // 50 ms refills exactly one
    [InlineData(1000, 20)]  // a second refills the rate
    [InlineData(60000, 20)] // a minute still only the burst
    public void The_bucket_refills_from_the_elapsed_time(int milliseconds, int expected)
    {
        var clock = new FixedTimeProvider(InProcessDaemon.DefaultNow);
        var limiter = new CallerRateLimiter(20, clock);
        if (milliseconds > 0)
        {
            Assert.Equal(20, Take(limiter, "k", 100));
        }

        clock.Now += TimeSpan.FromMilliseconds(milliseconds);
        Assert.Equal(expected, Take(limiter, "k", 100));
    }

    [Fact]
    public void Callers_have_buckets_of_their_own_and_a_clock_set_back_refills_nothing()
    {
        var clock = new FixedTimeProvider(InProcessDaemon.DefaultNow);
        var limiter = new CallerRateLimiter(5, clock);
        Assert.Equal((5, 5), (Take(limiter, "a", 10), Take(limiter, "b", 10)));

        clock.Now -= TimeSpan.FromHours(1);
        Assert.Equal(0, Take(limiter, "a", 10));
        clock.Now += TimeSpan.FromHours(1) + TimeSpan.FromMilliseconds(200);
        Assert.Equal(1, Take(limiter, "a", 10));
    }

    [Fact]
    public void Many_idle_callers_are_forgotten_without_losing_a_busy_one()
    {
        var clock = new FixedTimeProvider(InProcessDaemon.DefaultNow);
        var limiter = new CallerRateLimiter(2, clock);
        Assert.Equal(2, Take(limiter, "busy", 5));
        for (var i = 0; i <= 10_001; i++)
        {
            limiter.TryAcquire("idle-" + i);
        }

        clock.Now += TimeSpan.FromMilliseconds(100);
        // The sweep forgot full buckets only: "busy" has refilled 0.2, not a fresh bucket of 2.
        Assert.Equal(0, Take(limiter, "busy", 5));
    }

    [Fact]
    public void Idle_callers_past_the_sweep_limit_are_forgotten()
    {
        var clock = new FixedTimeProvider(InProcessDaemon.DefaultNow);
        var limiter = new CallerRateLimiter(2, clock);
        for (var i = 0; i <= 10_000; i++)
        {
            limiter.TryAcquire("idle-" + i);
        }

        Assert.Equal(10_001, limiter.RememberedCallers);

        // A second later every bucket has refilled to the top: the next call sweeps them away.
        clock.Now += TimeSpan.FromSeconds(1);
        Assert.True(limiter.TryAcquire("next"));
        Assert.Equal(1, limiter.RememberedCallers);
    }
}
