using System.Data.Common;
using System.Text.RegularExpressions;

namespace MtaStsReporting.Persistence.Store;

/// <summary>
/// Commands with named parameters (<c>@name</c>, which both engines read), bound by position:
/// values are given in the order the names first appear in the SQL.
/// </summary>
public static partial class Statement
{
    /// <summary>A command on <paramref name="connection"/> for <paramref name="sql"/>, with its parameters declared.</summary>
    public static DbCommand Create(DbConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in ParameterNames(sql))
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    /// <summary>Binds values to the parameters in order (null as SQL NULL).</summary>
    public static DbCommand Bind(this DbCommand command, params object?[] values)
    {
        if (values.Length != command.Parameters.Count)
        {
            throw new ArgumentException($"The statement takes {command.Parameters.Count} values, {values.Length} were given: {command.CommandText}", nameof(values));
        }

        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        }

        return command;
    }

    /// <summary>A read command with its values bound.</summary>
    public static DbCommand Query(DbConnection connection, string sql, params object?[] values) => Create(connection, sql).Bind(values);

    /// <summary>A column as a 64-bit integer, whatever width the engine gave it (PostgreSQL's SUM is numeric).</summary>
    public static long Int64(this DbDataReader reader, int column) =>
        reader.IsDBNull(column) ? 0 : Convert.ToInt64(reader.GetValue(column), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A text column that may be NULL.</summary>
    public static string? Text(this DbDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.GetString(column);

    /// <summary>An instant column (Unix milliseconds, as every instant is stored).</summary>
    public static DateTimeOffset Instant(this DbDataReader reader, int column) => DateTimeOffset.FromUnixTimeMilliseconds(reader.Int64(column));

    /// <summary>An instant column that may be NULL.</summary>
    public static DateTimeOffset? OptionalInstant(this DbDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.Instant(column);

    /// <summary>A column holding a JSON array of strings (the policies' lines and MX patterns).</summary>
    public static string[] Strings(this DbDataReader reader, int column) => System.Text.Json.JsonSerializer.Deserialize<string[]>(reader.GetString(column)) ?? [];

    /// <summary>A day column (SQLite text, PostgreSQL date).</summary>
    public static DateOnly Day(this DbDataReader reader, int column) => reader.GetFieldValue<DateOnly>(column);

    /// <summary>A truth value (SQLite 0/1, PostgreSQL boolean).</summary>
    public static bool Bool(this DbDataReader reader, int column) =>
        Convert.ToBoolean(reader.GetValue(column), System.Globalization.CultureInfo.InvariantCulture);

    private static IEnumerable<string> ParameterNames(string sql) =>
        Parameter().Matches(sql).Select(m => m.Value).Distinct(StringComparer.Ordinal);

    [GeneratedRegex(@"(?<![@\w])@[A-Za-z_][A-Za-z0-9_]*")]
    private static partial Regex Parameter();
}
