using Microsoft.Data.Sqlite;

namespace MtaStsReporting.Persistence;

/// <summary>Prepared commands for the hand-written write paths (positional parameters).</summary>
internal static class Sql
{
    /// <summary>A command on <paramref name="connection"/> with the named parameters, in order.</summary>
    public static SqliteCommand Command(SqliteConnection connection, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var p in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = p });
        }

        return command;
    }

    /// <summary>Binds values to the parameters in order (null as SQL NULL).</summary>
    public static SqliteCommand Bind(this SqliteCommand command, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        }

        return command;
    }
}
