namespace MtaStsReporting.Persistence.Store;

/// <summary>The database engine behind the store.</summary>
public enum StoreProvider
{
    /// <summary>An embedded SQLite file: one daemon instance, nothing to run beside it (the default).</summary>
    Sqlite,

    /// <summary>A PostgreSQL server: several daemon instances may share one database.</summary>
    PostgreSql,
}
