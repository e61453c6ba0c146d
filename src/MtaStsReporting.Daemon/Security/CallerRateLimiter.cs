using System.Collections.Concurrent;

namespace MtaStsReporting.Daemon.Security;

/// <summary>
/// A token bucket per caller, refilled continuously from the clock at each call: a caller may
/// spend <c>rate</c> calls at once, then <c>rate</c> a second. Written here rather than taken
/// from System.Threading.RateLimiting, whose buckets refill by timer in whole steps: a whole
/// second's refill let a caller spend a bucket, then a refill, then (when a tick fell late) a
/// third, while steps of 100 ms were skipped when the timer fired a little early. A refill
/// computed from the elapsed time has neither fault, and time comes from <see cref="TimeProvider"/>.
/// </summary>
public sealed class CallerRateLimiter(int rate, TimeProvider time)
{
    /// <summary>Callers remembered before full (idle) buckets are forgotten.</summary>
    private const int SweepAbove = 10_000;

    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private long _lastSweep;

    /// <summary>How many callers have a bucket now (idle ones are forgotten by the sweep).</summary>
    public int RememberedCallers => _buckets.Count;

    /// <summary>Takes one call from <paramref name="caller"/>'s bucket; false when it is empty.</summary>
    public bool TryAcquire(string caller)
    {
        var now = time.GetUtcNow().UtcTicks;
        // At most one sweep a second: a sweep walks every bucket.
        var last = Interlocked.Read(ref _lastSweep);
        if (_buckets.Count > SweepAbove && now - last >= TimeSpan.TicksPerSecond && Interlocked.CompareExchange(ref _lastSweep, now, last) == last)
        {
            Sweep(now);
        }

        var bucket = _buckets.GetOrAdd(caller, static (_, state) => new Bucket(state.rate, state.now), (rate, now));
        lock (bucket)
        {
            bucket.Refill(rate, now);
            if (bucket.Tokens < 1)
            {
                return false;
            }

            bucket.Tokens -= 1;
            return true;
        }
    }

    /// <summary>A bucket that has refilled to the top is the same as no bucket: forget it.</summary>
    private void Sweep(long now)
    {
        foreach (var (caller, bucket) in _buckets)
        {
            lock (bucket)
            {
                bucket.Refill(rate, now);
                if (bucket.Tokens >= rate)
                {
                    _buckets.TryRemove(caller, out _);
                }
            }
        }
    }

    private sealed class Bucket(double tokens, long updated)
    {
        public double Tokens { get; set; } = tokens;

        public void Refill(int rate, long now)
        {
            // A clock set back refills nothing rather than draining.
            var elapsed = Math.Max(0, now - updated);
            Tokens = Math.Min(rate, Tokens + (elapsed * (double)rate / TimeSpan.TicksPerSecond));
            updated = Math.Max(updated, now);
        }
    }
}
