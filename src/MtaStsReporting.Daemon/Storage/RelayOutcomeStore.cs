using Microsoft.Extensions.Options;
using MtaStsReporting.Daemon.Hosting;
using MtaStsReporting.Domain.RelayOutcomes;
using MtaStsReporting.Persistence;
using MtaStsReporting.Persistence.RelayOutcomes;

namespace MtaStsReporting.Daemon.Storage;

/// <summary>
/// The daemon's handle on the store: opened (and migrated) before the listener starts, closed
/// after it has stopped, so that every call the listener accepted is committed first.
/// </summary>
public sealed class RelayOutcomeStore(IOptions<StorageOptions> storage, IOptions<RelayOptions> relay, TimeProvider time, Observability.DaemonMetrics metrics, ILogger<RelayOutcomeStore> logger) : IAsyncDisposable
{
    private GroupCommitter? _committer;
    private volatile string? _lastError;

    /// <summary>The connection string of the database file.</summary>
    public string ConnectionString { get; } = SqliteDatabase.ConnectionString(storage.Value.DatabasePath);

    private long _groupCommits;
    private long _largestGroup;

    /// <summary>Group commits made since the store opened.</summary>
    public long GroupCommits => Interlocked.Read(ref _groupCommits);

    /// <summary>The most batches one group commit has carried (more than one: calls shared a transaction).</summary>
    public long LargestGroup => Interlocked.Read(ref _largestGroup);

    /// <summary>Why the last group commit failed, or null when the last one succeeded.</summary>
    public string? LastCommitError => _lastError;

    /// <summary>Creates the folder and file if needed and applies migrations.</summary>
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(storage.Value.DatabasePath)!);
        await SqliteDatabase.MigrateAsync(ConnectionString, cancellationToken);
    }

    /// <summary>Migrates, then opens the writer.</summary>
    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        var path = storage.Value.DatabasePath;
        await MigrateAsync(cancellationToken);
        var writer = await RelayOutcomeWriter.OpenAsync(ConnectionString, storage.Value.Durability, time, cancellationToken);
        _committer = new GroupCommitter(writer, relay.Value.QueueCapacity, relay.Value.MaxGroupBatches, OnCommit);
        StoreLog.Opened(logger, path, storage.Value.Durability.ToString());
    }

    /// <summary>Commits a relay batch; completes once it is durable (or known as a duplicate).</summary>
    public Task<BatchCommitResult> CommitAsync(string batchId, DailyOutcomeDelta delta, CancellationToken cancellationToken)
    {
        var committer = _committer ?? throw new InvalidOperationException("The store is not open.");
        return CommitCoreAsync(committer, batchId, delta, cancellationToken);
    }

    private async Task<BatchCommitResult> CommitCoreAsync(GroupCommitter committer, string batchId, DailyOutcomeDelta delta, CancellationToken cancellationToken)
    {
        try
        {
            return await committer.CommitAsync(new PendingBatch(batchId, delta), cancellationToken);
        }
        catch (StoreUnavailableException ex)
        {
            _lastError = ex.Message;
            metrics.GroupFailed();
            StoreLog.CommitFailed(logger, ex.InnerException!);
            throw;
        }
    }

    private void OnCommit(GroupCommitStats stats)
    {
        _lastError = null;
        Interlocked.Increment(ref _groupCommits);
        long largest;
        while (stats.Batches > (largest = Interlocked.Read(ref _largestGroup)) && Interlocked.CompareExchange(ref _largestGroup, stats.Batches, largest) != largest)
        {
        }

        metrics.GroupCommitted(stats.Batches, stats.Elapsed);
        StoreLog.GroupCommitted(logger, stats.Batches, stats.Sessions, stats.Elapsed.TotalMilliseconds);
    }

    /// <summary>Commits what is queued and closes the writer.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_committer is not null)
        {
            await _committer.DisposeAsync();
            _committer = null;
            StoreLog.Closed(logger);
        }
    }
}

internal static partial class StoreLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Store open at {Path} (durability {Durability})")]
    public static partial void Opened(ILogger logger, string path, string durability);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Store closed; every accepted batch is committed")]
    public static partial void Closed(ILogger logger);

    [LoggerMessage(EventId = 102, Level = LogLevel.Debug, Message = "Group commit of {Batches} batches ({Sessions} sessions) in {ElapsedMs:0.0} ms")]
    public static partial void GroupCommitted(ILogger logger, int batches, long sessions, double elapsedMs);

    [LoggerMessage(EventId = 103, Level = LogLevel.Error, Message = "Group commit failed; its callers were told and nothing of it was stored")]
    public static partial void CommitFailed(ILogger logger, Exception exception);
}
