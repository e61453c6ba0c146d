using System.Data.Common;

namespace MtaStsReporting.Persistence.Store;

/// <summary>
/// One transaction of the writer, as units of work see it: commands on the writer's connection
/// (prepared once and kept across transactions), the engine, the commit time, and work staged
/// by several units to be written once before the commit (the relay batches' merged counters).
/// </summary>
public sealed class WriteSession
{
    private readonly DbConnection _connection;
    private readonly Dictionary<string, DbCommand> _commands = new(StringComparer.Ordinal);
    private readonly List<(string Key, object Staged, Action<WriteSession, object> Flush)> _staged = [];
    private readonly List<Action> _afterCommit = [];
    private DbTransaction? _transaction;

    internal WriteSession(DbConnection connection, StoreDialect dialect)
    {
        _connection = connection;
        Dialect = dialect;
    }

    /// <summary>The engine.</summary>
    public StoreDialect Dialect { get; }

    /// <summary>When this transaction started, from the store's clock.</summary>
    public DateTimeOffset Now { get; private set; }

    /// <summary>Runs a statement; the number of rows it changed.</summary>
    public int Execute(string sql, params object?[] values) => Command(sql).Bind(values).ExecuteNonQuery();

    /// <summary>Runs a statement; the first column of its first row, or null.</summary>
    public object? Scalar(string sql, params object?[] values) => Command(sql).Bind(values).ExecuteScalar() is { } v and not DBNull ? v : null;

    /// <summary>Runs a query.</summary>
    public DbDataReader Reader(string sql, params object?[] values) => Command(sql).Bind(values).ExecuteReader();

    /// <summary>
    /// Work shared by several units of one transaction, created by the first and written by
    /// <paramref name="flush"/> once, after the last unit ran and before the commit.
    /// </summary>
    public T Stage<T>(string key, Func<T> create, Action<WriteSession, T> flush)
        where T : class
    {
        foreach (var s in _staged)
        {
            if (s.Key == key)
            {
                return (T)s.Staged;
            }
        }

        var staged = create();
        _staged.Add((key, staged, (session, o) => flush(session, (T)o)));
        return staged;
    }

    /// <summary>
    /// Rows in the order to write them: in key order where several instances write (see
    /// <see cref="StoreDialect.SharedWriters"/>), so that two transactions adding to the same rows
    /// wait for each other instead of deadlocking; as they come otherwise, since sorting costs the
    /// embedded engine time for nothing. The order is ordinal on the key's text: the same on every
    /// instance, whatever its culture.
    /// </summary>
    public IEnumerable<KeyValuePair<TKey, TValue>> InWriteOrder<TKey, TValue>(IReadOnlyDictionary<TKey, TValue> rows, Func<TKey, string> sortKey) =>
        Dialect.SharedWriters ? rows.OrderBy(kv => sortKey(kv.Key), StringComparer.Ordinal) : rows;

    /// <summary>Runs once the transaction is committed (caches that may only learn committed facts).</summary>
    public void AfterCommit(Action action) => _afterCommit.Add(action);

    internal void Begin(DbTransaction transaction, DateTimeOffset now)
    {
        _transaction = transaction;
        Now = now;
        _staged.Clear();
        _afterCommit.Clear();
    }

    internal void Flush()
    {
        // By index rather than foreach: the list is the session's own and a flush runs with it.
        for (var i = 0; i < _staged.Count; i++)
        {
            _staged[i].Flush(this, _staged[i].Staged);
        }
    }

    internal void Committed()
    {
        foreach (var action in _afterCommit)
        {
            action();
        }
    }

    internal async ValueTask DisposeCommandsAsync()
    {
        foreach (var command in _commands.Values)
        {
            await command.DisposeAsync();
        }

        _commands.Clear();
    }

    private DbCommand Command(string sql)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            _commands[sql] = command = Statement.Create(_connection, sql);
        }

        command.Transaction = _transaction ?? throw new InvalidOperationException("No transaction is open.");
        return command;
    }
}
