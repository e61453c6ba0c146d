namespace MtaStsReporting.Persistence.Store;

/// <summary>Figures of one group commit, for logs and metrics.</summary>
/// <param name="Units">Units of work in the group (relay batches, report groups, retention steps, key changes…).</param>
/// <param name="Sessions">Relay session outcomes they carried.</param>
/// <param name="Elapsed">Time the transaction took, fsync included.</param>
public readonly record struct GroupCommitStats(int Units, long Sessions, TimeSpan Elapsed);

/// <summary>How the writer has fared, for every kind of write: the store's health.</summary>
public sealed class CommitHealth
{
    private long _groupCommits;
    private long _largestGroup;
    private volatile string? _lastError;

    /// <summary>Group commits made since the store opened.</summary>
    public long GroupCommits => Interlocked.Read(ref _groupCommits);

    /// <summary>The most units one group commit has carried (more than one: callers shared a transaction).</summary>
    public long LargestGroup => Interlocked.Read(ref _largestGroup);

    /// <summary>Why the last transaction failed, or null when the last one was committed.</summary>
    public string? LastError => _lastError;

    internal void Committed(int units)
    {
        _lastError = null;
        Interlocked.Increment(ref _groupCommits);
        long largest;
        while (units > (largest = Interlocked.Read(ref _largestGroup)) && Interlocked.CompareExchange(ref _largestGroup, units, largest) != largest)
        {
        }
    }

    internal void Failed(string error) => _lastError = error;
}
