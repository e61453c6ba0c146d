using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace MtaStsReporting.Persistence;

/// <summary>How durable a commit is: SQLite's <c>synchronous</c> setting in WAL mode.</summary>
public enum SqliteDurability
{
    /// <summary>fsync on every commit: nothing acknowledged is lost, even on power loss.</summary>
    Full,

    /// <summary>fsync at checkpoints only: survives a crash of the process, not of the machine.</summary>
    Normal,
}

/// <summary>Opening the embedded SQLite store the same way everywhere (daemon, tools, tests).</summary>
public static class SqliteDatabase
{
    /// <summary>The connection string for a database file.</summary>
    public static string ConnectionString(string path) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Cache = SqliteCacheMode.Private,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    /// <summary>Points a DbContext at the file, with migrations taken from their own assembly.</summary>
    public static DbContextOptionsBuilder UseReportingSqlite(this DbContextOptionsBuilder builder, string connectionString) =>
        builder.UseSqlite(connectionString, o => o.MigrationsAssembly(ReportingDbContext.MigrationsAssembly));

    /// <summary>Options for a context on the file; for tools and tests that have no DI container.</summary>
    public static DbContextOptions<ReportingDbContext> ContextOptions(string connectionString) =>
        (DbContextOptions<ReportingDbContext>)new DbContextOptionsBuilder<ReportingDbContext>().UseReportingSqlite(connectionString).Options;

    /// <summary>
    /// Creates the file if needed, switches it to WAL (readers never block the writer, and a
    /// commit is one append) and applies pending migrations.
    /// </summary>
    public static async Task MigrateAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var context = new ReportingDbContext(ContextOptions(connectionString));
        await context.Database.OpenConnectionAsync(cancellationToken);
        await context.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        await context.Database.MigrateAsync(cancellationToken);
    }

    /// <summary>Opens a connection with the pragmas every writer needs.</summary>
    public static async Task<SqliteConnection> OpenWriterAsync(string connectionString, SqliteDurability durability, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = $"PRAGMA journal_mode=WAL; PRAGMA synchronous={(durability == SqliteDurability.Full ? "FULL" : "NORMAL")}; PRAGMA busy_timeout=30000;";
        await pragma.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }
}
