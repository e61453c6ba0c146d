namespace MtaStsReporting.Persistence.Store;

/// <summary>
/// A unit of work for the writer: it runs inside the writer's transaction, beside other units,
/// and its caller learns the result only once that transaction is committed.
/// </summary>
public abstract class WriteUnit
{
    /// <summary>Sessions this unit carries, for the commit figures (relay batches).</summary>
    public virtual long Sessions => 0;

    /// <summary>Runs the unit's statements; may run again, in a new transaction, after a rollback.</summary>
    internal abstract void Run(WriteSession session);

    internal abstract void Complete();

    internal abstract void Fail(Exception exception);
}

/// <summary>A unit of work with a result.</summary>
public sealed class WriteUnit<T> : WriteUnit
{
    private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Func<WriteSession, Func<T>> _work;
    private readonly long _sessions;
    private Func<T>? _result;

    /// <param name="work">The statements; its result is handed to the caller after the commit.</param>
    /// <param name="sessions">Sessions carried, for the commit figures.</param>
    public WriteUnit(Func<WriteSession, T> work, long sessions = 0)
        : this(sessions, s =>
        {
            var result = work(s);
            return () => result;
        })
    {
    }

    private WriteUnit(long sessions, Func<WriteSession, Func<T>> work)
    {
        _work = work;
        _sessions = sessions;
    }

    /// <summary>
    /// A unit whose result is known only once the staged work it joined has been written (many
    /// units' rows written as one statement): <paramref name="work"/> returns how to read it then.
    /// </summary>
    public static WriteUnit<T> Deferred(Func<WriteSession, Func<T>> work, long sessions = 0) => new(sessions, work);

    /// <inheritdoc />
    public override long Sessions => _sessions;

    /// <summary>Completes with the result once committed, or fails with <see cref="StoreUnavailableException"/>.</summary>
    public Task<T> Done => _done.Task;

    internal override void Run(WriteSession session) => _result = _work(session);

    internal override void Complete()
    {
        try
        {
            _done.TrySetResult(_result!());
        }
        catch (Exception ex)
        {
            _done.TrySetException(ex);
        }
    }

    internal override void Fail(Exception exception) => _done.TrySetException(exception);
}
