using MtaStsReporting.Persistence.Store;

namespace MtaStsReporting.Daemon.Storage;

/// <summary>
/// The store's first and last step in the host: migrations applied and the writer opened
/// before any other part starts (hosted services start in registration order, and the web
/// server after all of them), and the writer drained and closed after every other part has
/// stopped, so that every call and unit of work that was accepted is committed first.
/// </summary>
public sealed class StoreStartup(ReportingStore store, ILogger<StoreStartup> logger) : IHostedService
{
    /// <summary>
    /// Migrates and opens the store unless it is open already. The daemon calls it before it
    /// starts the host, so that a store that cannot be opened (a server down, a refused
    /// password) is one line naming the cause rather than the host's start failure.
    /// </summary>
    /// <exception cref="Persistence.StoreUnavailableException">The store cannot be opened; the message says where and why.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (store.IsOpen)
        {
            return;
        }

        try
        {
            await store.MigrateAsync(cancellationToken);
        }
        catch (Exception ex) when (Problem(ex) is { } problem)
        {
            throw new Persistence.StoreUnavailableException($"the store at {store.Dialect.Location} cannot be opened: {problem}", ex);
        }

        store.Open();
        StoreLog.Opened(logger, store.Dialect.Provider.ToString(), store.Dialect.Location);
    }

    /// <summary>A database that cannot be reached or opened, in one line; null for anything else.</summary>
    public static string? Problem(Exception ex) => ex switch
    {
        Npgsql.PostgresException pg => $"{pg.MessageText} (PostgreSQL {pg.SqlState})",
        Npgsql.NpgsqlException npgsql => Hosting.ExceptionText.Innermost(npgsql),
        Microsoft.Data.Sqlite.SqliteException sqlite => sqlite.Message,
        UnauthorizedAccessException or IOException => ex.Message,
        _ when ex.InnerException is not null => Problem(ex.InnerException),
        _ => null,
    };

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (store.IsOpen)
        {
            await store.DisposeAsync();
            StoreLog.Closed(logger);
        }
    }
}
