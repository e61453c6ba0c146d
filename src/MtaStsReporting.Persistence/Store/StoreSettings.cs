namespace MtaStsReporting.Persistence.Store;

/// <summary>How to reach the database, and how the writer groups its work.</summary>
/// <param name="Provider">The engine.</param>
/// <param name="ConnectionString">For SQLite a file path or a full connection string; for PostgreSQL an Npgsql connection string.</param>
/// <param name="Durability">SQLite only: fsync per commit or per checkpoint. PostgreSQL's durability is the server's (<c>synchronous_commit</c>).</param>
/// <param name="QueueCapacity">Units of work that may wait for a commit; beyond it writers wait (back-pressure).</param>
/// <param name="MaxGroupUnits">Most units of work in one transaction, to bound its size and latency.</param>
public sealed record StoreSettings(
    StoreProvider Provider,
    string ConnectionString,
    SqliteDurability Durability = SqliteDurability.Full,
    int QueueCapacity = 65_536,
    int MaxGroupUnits = 4_096)
{
    /// <summary>Settings for an SQLite file.</summary>
    public static StoreSettings SqliteFile(string path, SqliteDurability durability = SqliteDurability.Full) =>
        new(StoreProvider.Sqlite, path, durability);
}
