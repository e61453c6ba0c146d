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
    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.MigrateAsync(cancellationToken);
        store.Open();
        StoreLog.Opened(logger, store.Dialect.Provider.ToString(), store.Dialect.Location);
    }

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
