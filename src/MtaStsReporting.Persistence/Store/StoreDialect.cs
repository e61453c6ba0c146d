using System.Data.Common;
using Microsoft.EntityFrameworkCore;

namespace MtaStsReporting.Persistence.Store;

/// <summary>
/// What differs between the engines, and nothing else: how to open a connection, which
/// migrations apply, which errors are worth a retry, and the two statements that cannot be
/// written the same way on both (a bounded delete, and the write order several instances need).
/// Every other statement of the store is written once, in SQL both engines speak.
/// </summary>
public abstract class StoreDialect : IAsyncDisposable
{
    /// <summary>The dialect for the settings.</summary>
    public static StoreDialect For(StoreSettings settings) => settings.Provider switch
    {
        StoreProvider.Sqlite => new SqliteDialect(settings),
        StoreProvider.PostgreSql => new PostgreSqlDialect(settings),
        _ => throw new ArgumentOutOfRangeException(nameof(settings), settings.Provider, "Unknown store provider."),
    };

    /// <summary>The engine.</summary>
    public abstract StoreProvider Provider { get; }

    /// <summary>Where the data is, for logs and messages (never with a password).</summary>
    public abstract string Location { get; }

    /// <summary>
    /// True when several writers may share the database (PostgreSQL): each transaction then
    /// writes its rows in key order, so that two instances adding to the same counters wait for
    /// each other instead of deadlocking.
    /// </summary>
    public abstract bool SharedWriters { get; }

    /// <summary>
    /// True when many rows are better written as one statement from arrays (a server, where
    /// every statement is a round trip); false where a prepared statement per row costs nothing
    /// more (the embedded engine).
    /// </summary>
    public abstract bool ArrayWrites { get; }

    /// <summary>Points an EF context at the database, with this engine's migrations.</summary>
    public abstract DbContextOptionsBuilder Configure(DbContextOptionsBuilder builder);

    /// <summary>What must exist before migrations run (SQLite: the folder, and WAL mode).</summary>
    public abstract Task PrepareAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Held while migrations run, so that instances starting together on one database apply
    /// each migration once; null where only one process can migrate at a time anyway.
    /// </summary>
    public virtual Task<IAsyncDisposable?> LockMigrationsAsync(CancellationToken cancellationToken) => Task.FromResult<IAsyncDisposable?>(null);

    /// <summary>Opens a connection; the writer's gets the engine's durability settings.</summary>
    public abstract Task<DbConnection> OpenAsync(bool writer, CancellationToken cancellationToken);

    /// <summary>True for an error that a second attempt of the same transaction may not meet (a deadlock, a busy file).</summary>
    public abstract bool IsTransient(Exception exception);

    /// <summary>
    /// <c>DELETE</c> of at most <c>@n</c> rows of <paramref name="table"/> matching
    /// <paramref name="condition"/> (neither engine has <c>DELETE … LIMIT</c> by default).
    /// </summary>
    public abstract string BoundedDelete(string table, string condition);

    /// <inheritdoc />
    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
