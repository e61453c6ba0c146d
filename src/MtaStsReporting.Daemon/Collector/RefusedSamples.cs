namespace MtaStsReporting.Daemon.Collector;

/// <summary>
/// Keeps the bytes of refused datagrams in a folder, so that an operator can see what an MTA
/// really sent: at most a number of files (the oldest go first) and at most one a second, so
/// that a flood of bad input costs neither the disk nor the folding loop.
/// </summary>
internal sealed class RefusedSamples(string folder, int maxFiles, TimeProvider time)
{
    private readonly Queue<string> _files = new(Existing(folder));
    private long _lastWrittenSecond = long.MinValue;
    private long _sequence;

    /// <summary>Writes a sample unless one was written this second; returns its path, or null.</summary>
    public string? Keep(ReadOnlySpan<byte> datagram, string reason)
    {
        var now = time.GetUtcNow();
        var second = now.ToUnixTimeSeconds();
        if (second == _lastWrittenSecond)
        {
            return null;
        }

        _lastWrittenSecond = second;
        var path = Path.Combine(folder, $"{now:yyyyMMdd'T'HHmmss'Z'}-{++_sequence:D6}-{reason}.datagram");
        try
        {
            Directory.CreateDirectory(folder);
            File.WriteAllBytes(path, datagram.ToArray());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        _files.Enqueue(path);
        while (_files.Count > maxFiles)
        {
            try
            {
                File.Delete(_files.Dequeue());
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Someone removed or locked it; the count still goes down.
            }
        }

        return path;
    }

    private static IEnumerable<string> Existing(string folder) =>
        Directory.Exists(folder) ? Directory.GetFiles(folder, "*.datagram").Order(StringComparer.Ordinal) : [];
}
