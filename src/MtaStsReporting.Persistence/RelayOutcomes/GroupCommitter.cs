using System.Threading.Channels;

namespace MtaStsReporting.Persistence.RelayOutcomes;

/// <summary>Figures of one group commit, for logs and metrics.</summary>
/// <param name="Batches">Batches in the group.</param>
/// <param name="Sessions">Session outcomes they carried.</param>
/// <param name="Elapsed">Time the transaction took, fsync included.</param>
public readonly record struct GroupCommitStats(int Batches, long Sessions, TimeSpan Elapsed);

/// <summary>
/// Group commit: callers hand in batches and wait; a single writer takes everything that queued
/// while the previous transaction was committing and writes it in the next one. One fsync then
/// covers many calls, so durability (a call returns only after its data is committed) does not
/// cap throughput at the disk's fsync rate, and no caller waits for a timer.
/// </summary>
public sealed class GroupCommitter : IAsyncDisposable
{
    private readonly Channel<Item> _queue;
    private readonly RelayOutcomeWriter _writer;
    private readonly int _maxGroupBatches;
    private readonly Action<GroupCommitStats>? _onCommit;
    private readonly Task _loop;

    /// <param name="writer">The writer this committer owns from now on.</param>
    /// <param name="queueCapacity">Batches that may wait; beyond it callers wait to enqueue (back-pressure).</param>
    /// <param name="maxGroupBatches">Most batches in one transaction, to bound its size and latency.</param>
    /// <param name="onCommit">Told about every successful group.</param>
    public GroupCommitter(RelayOutcomeWriter writer, int queueCapacity = 65_536, int maxGroupBatches = 4_096, Action<GroupCommitStats>? onCommit = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(queueCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxGroupBatches, 1);
        _writer = writer;
        _maxGroupBatches = maxGroupBatches;
        _onCommit = onCommit;
        _queue = Channel.CreateBounded<Item>(new BoundedChannelOptions(queueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });

        // Waiting is asynchronous (a blocking wait on a dedicated thread spins first, and on two
        // cores that spinning costs real throughput); the commit itself runs synchronously on
        // the pool thread that picked the group up.
        _loop = Task.Run(RunLoopAsync);
    }

    /// <summary>
    /// Queues a batch and completes once it is committed (or found to be a duplicate). If the
    /// caller gives up after the batch was queued, it may still be committed: a relay that
    /// retries with the same id is then told it is a duplicate, and nothing is counted twice.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The committer is stopping.</exception>
    public async Task<BatchCommitResult> CommitAsync(PendingBatch batch, CancellationToken cancellationToken)
    {
        var item = new Item(batch, new TaskCompletionSource<BatchCommitResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        try
        {
            await _queue.Writer.WriteAsync(item, cancellationToken);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(GroupCommitter), "The store is shutting down.");
        }

        return await item.Done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Stops taking batches, commits every batch already queued, and closes the writer.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
        await _writer.DisposeAsync();
    }

    private async Task RunLoopAsync()
    {
        var group = new List<Item>(_maxGroupBatches);
        var batches = new List<PendingBatch>(_maxGroupBatches);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            group.Clear();
            batches.Clear();
            while (group.Count < _maxGroupBatches && reader.TryRead(out var item))
            {
                group.Add(item);
                batches.Add(item.Batch);
            }

            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                var results = _writer.Commit(batches);
                for (var i = 0; i < group.Count; i++)
                {
                    group[i].Done.TrySetResult(results[i]);
                }

                _onCommit?.Invoke(new GroupCommitStats(group.Count, batches.Sum(b => b.Delta.SessionCount), System.Diagnostics.Stopwatch.GetElapsedTime(started)));
            }
            catch (Exception ex)
            {
                // Nothing of the group was stored: every caller is told, and may retry.
                foreach (var item in group)
                {
                    item.Done.TrySetException(new StoreUnavailableException("The store could not commit: " + ex.Message, ex));
                }
            }
        }
    }

    private sealed record Item(PendingBatch Batch, TaskCompletionSource<BatchCommitResult> Done);
}
