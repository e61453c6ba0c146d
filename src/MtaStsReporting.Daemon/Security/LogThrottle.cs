namespace MtaStsReporting.Daemon.Security;

/// <summary>
/// Lets a log line that strangers can cause (a refused certificate, a client without HTTP/2)
/// through at most a number of times a minute, and says how many were held back: the cause is
/// visible, and nobody can fill the disk with it by connecting in a loop.
/// </summary>
public sealed class LogThrottle(int perMinute, TimeProvider time)
{
    private readonly Lock _lock = new();
    private DateTimeOffset _windowStart = DateTimeOffset.MinValue;
    private int _written;
    private int _heldBack;

    /// <summary>True when a line may be written now; <paramref name="heldBack"/> is how many were not since the last one written.</summary>
    public bool TryEnter(out int heldBack)
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            if (now - _windowStart >= TimeSpan.FromMinutes(1) || now < _windowStart)
            {
                _windowStart = now;
                _written = 0;
            }

            if (_written >= perMinute)
            {
                _heldBack++;
                heldBack = 0;
                return false;
            }

            _written++;
            heldBack = _heldBack;
            _heldBack = 0;
            return true;
        }
    }
}
