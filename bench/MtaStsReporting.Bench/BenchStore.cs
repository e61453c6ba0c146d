using MtaStsReporting.Persistence.Store;
using MtaStsReporting.Tests.Shared;

namespace MtaStsReporting.Bench;

/// <summary>
/// The store a run measures: the default SQLite file in the daemon's working directory, or a
/// fresh database on a PostgreSQL cluster the bench starts for itself from Debian's packages
/// (default durability: fsync on every commit, as SQLite's Full), on a loopback port.
/// </summary>
internal static class BenchStore
{
    private static Task<PostgresServer>? _server;

    /// <summary>The daemon settings for a fresh store of the kind asked; none for SQLite (its file is in the working directory).</summary>
    public static async Task<(string[] Args, StoreSettings? Settings)> FreshAsync(string store)
    {
        if (!store.Equals("postgresql", StringComparison.OrdinalIgnoreCase))
        {
            return ([], null);
        }

        var server = await (_server ??= PostgresServer.StartDurableAsync());
        var connectionString = await server.CreateDatabaseAsync();
        return (["--Storage:Provider=PostgreSql", $"--Storage:ConnectionString={connectionString}"], new StoreSettings(StoreProvider.PostgreSql, connectionString));
    }
}
