using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace MtaStsReporting.Persistence.Store;

/// <summary>
/// PostgreSQL through Npgsql: one pooled data source per store. Several daemon instances may
/// share the database; the database alone coordinates them (unique keys, row locks, leases).
/// </summary>
public sealed class PostgreSqlDialect : StoreDialect
{
    /// <summary>The assembly of the PostgreSQL migrations (<c>migrations/MtaStsReporting.Migrations.PostgreSql</c>).</summary>
    public const string MigrationsAssembly = "MtaStsReporting.Migrations.PostgreSql";

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _connectionString;

    /// <summary>A dialect for an Npgsql connection string.</summary>
    public PostgreSqlDialect(StoreSettings settings)
    {
        var builder = new NpgsqlConnectionStringBuilder(settings.ConnectionString);
        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = "mtasts-reporting";
        }

        // Every query of this store is bounded by a domain or a range of days and runs in
        // milliseconds; starting parallel workers for one (and JIT-compiling one whose estimate
        // is high) costs more than running it: the domain list took 62–69 ms with parallel
        // workers and 16 ms without, on the benchmark's store. Both are off for the daemon's
        // sessions unless the connection string's Options set them.
        foreach (var setting in new[] { "max_parallel_workers_per_gather=0", "jit=off" })
        {
            if (builder.Options?.Contains(setting.Split('=')[0], StringComparison.OrdinalIgnoreCase) != true)
            {
                builder.Options = string.IsNullOrEmpty(builder.Options) ? "-c " + setting : builder.Options + " -c " + setting;
            }
        }

        _connectionString = builder.ConnectionString;
        _dataSource = NpgsqlDataSource.Create(_connectionString);
        Location = $"postgresql://{builder.Host}:{builder.Port}/{builder.Database}";
    }

    /// <inheritdoc />
    public override StoreProvider Provider => StoreProvider.PostgreSql;

    /// <inheritdoc />
    public override string Location { get; }

    /// <inheritdoc />
    public override bool SharedWriters => true;

    /// <inheritdoc />
    public override bool ArrayWrites => true;

    /// <inheritdoc />
    public override DbContextOptionsBuilder Configure(DbContextOptionsBuilder builder) =>
        builder.UseNpgsql(_dataSource, o => o.MigrationsAssembly(MigrationsAssembly));

    /// <inheritdoc />
    public override Task PrepareAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    /// <remarks>
    /// A session advisory lock on a connection of its own, for the whole run: EF's own
    /// migration lock did not keep two instances from applying the same later migration
    /// ("relation … already exists") when they met on an empty database. It is released
    /// explicitly (a pooled connection keeps its session, locks included); a process that dies
    /// releases it with its connection.
    /// </remarks>
    public override async Task<IAsyncDisposable?> LockMigrationsAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT pg_advisory_lock({MigrationLockKey})";
            await command.ExecuteNonQueryAsync(cancellationToken);
            return new MigrationLock(connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private sealed class MigrationLock(NpgsqlConnection connection) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await using var command = connection.CreateCommand();
                command.CommandText = $"SELECT pg_advisory_unlock({MigrationLockKey})";
                await command.ExecuteNonQueryAsync();
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }
    }

    // "mtstmigr" as a 64-bit number: the advisory lock key of the daemon's migrations.
    private const long MigrationLockKey = 0x6D7473746D696772;

    /// <inheritdoc />
    public override async Task<DbConnection> OpenAsync(bool writer, CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken);

    /// <inheritdoc />
    public override bool IsTransient(Exception exception) => exception switch
    {
        // Two instances' transactions met on the same rows: the loser is rolled back whole.
        PostgresException { SqlState: PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure } => true,
        NpgsqlException n => n.IsTransient,
        _ => false,
    };

    /// <inheritdoc />
    public override string BoundedDelete(string table, string condition) =>
        $"DELETE FROM {table} WHERE ctid IN (SELECT ctid FROM {table} WHERE {condition} LIMIT @n)";

    /// <inheritdoc />
    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
