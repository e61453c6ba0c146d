using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace MtaStsReporting.Persistence.Store;

/// <summary>The embedded engine: one file, WAL mode (readers never block the writer), one writer connection.</summary>
public sealed class SqliteDialect : StoreDialect
{
    /// <summary>The assembly of the SQLite migrations (<c>migrations/MtaStsReporting.Migrations</c>).</summary>
    public const string MigrationsAssembly = "MtaStsReporting.Migrations";

    private readonly string _connectionString;
    private readonly SqliteDurability _durability;

    /// <summary>A dialect for a file path or a full SQLite connection string.</summary>
    public SqliteDialect(StoreSettings settings)
    {
        _durability = settings.Durability;
        var builder = settings.ConnectionString.Contains('=', StringComparison.Ordinal)
            ? new SqliteConnectionStringBuilder(settings.ConnectionString)
            : new SqliteConnectionStringBuilder { DataSource = settings.ConnectionString };
        builder.Mode = SqliteOpenMode.ReadWriteCreate;
        builder.Cache = SqliteCacheMode.Private;
        builder.Pooling = true;
        builder.DefaultTimeout = 30;
        FilePath = Path.GetFullPath(builder.DataSource);
        builder.DataSource = FilePath;
        _connectionString = builder.ToString();
    }

    /// <summary>The database file.</summary>
    public string FilePath { get; }

    /// <inheritdoc />
    public override StoreProvider Provider => StoreProvider.Sqlite;

    /// <inheritdoc />
    public override string Location => FilePath;

    /// <inheritdoc />
    public override bool SharedWriters => false;

    /// <inheritdoc />
    public override bool ArrayWrites => false;

    /// <inheritdoc />
    public override DbContextOptionsBuilder Configure(DbContextOptionsBuilder builder) =>
        builder.UseSqlite(_connectionString, o => o.MigrationsAssembly(MigrationsAssembly));

    /// <inheritdoc />
    public override async Task PrepareAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        await using var connection = await OpenAsync(writer: true, cancellationToken);
    }

    /// <inheritdoc />
    public override async Task<DbConnection> OpenAsync(bool writer, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        if (writer)
        {
            // WAL: readers never block the writer, and a commit is one append. The busy timeout
            // covers the tools (import, keys) that write while a daemon runs on the same file.
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = $"PRAGMA journal_mode=WAL; PRAGMA synchronous={(_durability == SqliteDurability.Full ? "FULL" : "NORMAL")}; PRAGMA busy_timeout=30000;";
            await pragma.ExecuteNonQueryAsync(cancellationToken);
        }

        return connection;
    }

    /// <inheritdoc />
    public override bool IsTransient(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 5 or 6 }; // SQLITE_BUSY, SQLITE_LOCKED

    /// <inheritdoc />
    public override string BoundedDelete(string table, string condition) =>
        $"DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} WHERE {condition} LIMIT @n)";
}
