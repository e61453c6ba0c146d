using System.Data.Common;
using System.Diagnostics;
using System.Threading.Channels;

namespace MtaStsReporting.Persistence.Store;

/// <summary>
/// Group commit: every write of the store (relay batches, groups of reports, retention steps,
/// key changes, leases) is a unit of work handed to one queue; a single writer takes everything
/// that queued while the previous transaction was committing and runs it in the next one. One
/// fsync then covers many callers, so durability (a caller returns only after its data is
/// committed) does not cap throughput at the disk's fsync rate, no caller waits for a timer,
/// and nothing in the process competes for the database's write lock.
/// </summary>
public sealed class GroupCommitter : IAsyncDisposable
{
    // A deadlock between instances (PostgreSQL) or a file locked by a tool (SQLite) is over
    // after a retry or two; more attempts would only hold the callers longer.
    private const int Attempts = 3;

    private readonly Channel<WriteUnit> _queue;
    private readonly StoreDialect _dialect;
    private readonly TimeProvider _time;
    private readonly int _maxGroupUnits;
    private readonly CommitHealth _health;
    private readonly Action<GroupCommitStats>? _onCommit;
    private readonly Action<Exception>? _onFailure;
    private readonly Task _loop;
    private DbConnection? _connection;
    private WriteSession? _session;

    /// <param name="dialect">The engine; the committer opens its own connection.</param>
    /// <param name="time">The clock units see as <see cref="WriteSession.Now"/>.</param>
    /// <param name="queueCapacity">Units that may wait; beyond it callers wait to enqueue (back-pressure).</param>
    /// <param name="maxGroupUnits">Most units in one transaction, to bound its size and latency.</param>
    /// <param name="health">Told about every commit and failure.</param>
    /// <param name="onCommit">Told about every successful group.</param>
    /// <param name="onFailure">Told about every failed transaction.</param>
    public GroupCommitter(StoreDialect dialect, TimeProvider time, int queueCapacity, int maxGroupUnits, CommitHealth health,
        Action<GroupCommitStats>? onCommit = null, Action<Exception>? onFailure = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(queueCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxGroupUnits, 1);
        _dialect = dialect;
        _time = time;
        _maxGroupUnits = maxGroupUnits;
        _health = health;
        _onCommit = onCommit;
        _onFailure = onFailure;
        _queue = Channel.CreateBounded<WriteUnit>(new BoundedChannelOptions(queueCapacity)
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
    /// Queues a unit and completes once it is committed. If the caller gives up after the unit
    /// was queued, it may still be committed: relay batches carry ids for that reason.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The committer is stopping.</exception>
    /// <exception cref="StoreUnavailableException">The unit could not be committed; nothing of it was stored.</exception>
    public async Task<T> WriteAsync<T>(WriteUnit<T> unit, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(unit, cancellationToken);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(GroupCommitter), "The store is shutting down.");
        }

        return await unit.Done.WaitAsync(cancellationToken);
    }

    /// <summary>Stops taking units, commits every unit already queued, and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
        await CloseAsync();
    }

    private async Task RunLoopAsync()
    {
        var group = new List<WriteUnit>(_maxGroupUnits);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            group.Clear();
            while (group.Count < _maxGroupUnits && reader.TryRead(out var unit))
            {
                group.Add(unit);
            }

            var failure = await TryCommitAsync(group);
            if (failure is null)
            {
                continue;
            }

            if (group.Count == 1)
            {
                group[0].Fail(Unavailable(failure));
                continue;
            }

            // One unit's failure (a report the database refuses) must not fail the others that
            // shared its transaction: each is tried again alone, and only the failing ones fail.
            foreach (var unit in group)
            {
                if (await TryCommitAsync([unit]) is { } alone)
                {
                    unit.Fail(Unavailable(alone));
                }
            }
        }
    }

    private async Task<Exception?> TryCommitAsync(List<WriteUnit> units)
    {
        Exception? failure = null;
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            var started = Stopwatch.GetTimestamp();
            DbTransaction? transaction = null;
            WriteSession session;
            try
            {
                session = await SessionAsync();
                transaction = _connection!.BeginTransaction();
                session.Begin(transaction, _time.GetUtcNow());
                foreach (var unit in units)
                {
                    unit.Run(session);
                }

                session.Flush();
                transaction.Commit();
            }
            catch (Exception ex)
            {
                failure = ex;
                _health.Failed(ex.Message);
                _onFailure?.Invoke(ex);
                await RollBackAsync(transaction);
                if (!_dialect.IsTransient(ex))
                {
                    break;
                }

                continue;
            }
            finally
            {
                transaction?.Dispose();
            }

            // Committed: from here on nothing may make the group fail or run again (a unit run
            // twice would count twice), nor stop this loop (every caller after it would wait
            // for ever). What runs now only learns of the commit: caches that may hold committed
            // facts only, the callers' results, the listener (logs, metrics). A cache or a
            // listener that throws is a bug of its own; it costs a cache entry or a log line.
            _health.Committed(units.Count);
            AfterCommit(session.Committed);
            foreach (var unit in units)
            {
                unit.Complete();
            }

            AfterCommit(() => _onCommit?.Invoke(new GroupCommitStats(units.Count, units.Sum(u => u.Sessions), Stopwatch.GetElapsedTime(started))));
            return null;
        }

        return failure;
    }

    private static void AfterCommit(Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex)
        {
            System.Diagnostics.Trace.TraceError("After a commit: " + ex);
        }
    }

    private async Task<WriteSession> SessionAsync()
    {
        if (_session is null)
        {
            _connection = await _dialect.OpenAsync(writer: true, CancellationToken.None);
            _session = new WriteSession(_connection, _dialect);
        }

        return _session;
    }

    private async Task RollBackAsync(DbTransaction? transaction)
    {
        try
        {
            transaction?.Rollback();
        }
        catch (Exception)
        {
            // The connection itself failed: it is replaced below.
        }

        // The next transaction starts on a fresh connection (a server that restarted, a
        // connection the server closed): a broken one would fail every later group.
        await CloseAsync();
    }

    private async Task CloseAsync()
    {
        if (_session is not null)
        {
            await _session.DisposeCommandsAsync();
            _session = null;
        }

        if (_connection is not null)
        {
            await _connection.DisposeAsync();
            _connection = null;
        }
    }

    private static StoreUnavailableException Unavailable(Exception ex) =>
        ex as StoreUnavailableException ?? new StoreUnavailableException("The store could not commit: " + ex.Message, ex);
}
