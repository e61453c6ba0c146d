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
/// <param name="work">The statements; its result is handed to the caller after the commit.</param>
/// <param name="sessions">Sessions carried, for the commit figures.</param>
public sealed class WriteUnit<T>(Func<WriteSession, T> work, long sessions = 0) : WriteUnit
{
    private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private T _result = default!;

    /// <inheritdoc />
    public override long Sessions => sessions;

    /// <summary>Completes with the result once committed, or fails with <see cref="StoreUnavailableException"/>.</summary>
    public Task<T> Done => _done.Task;

    internal override void Run(WriteSession session) => _result = work(session);

    internal override void Complete() => _done.TrySetResult(_result);

    internal override void Fail(Exception exception) => _done.TrySetException(exception);
}
