using Microsoft.Extensions.Options;
using MtaStsReporting.Persistence.Store;

namespace MtaStsReporting.Daemon.Storage;

/// <summary>Where the data is kept. Section <c>Storage</c>.</summary>
public sealed class StoreOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Storage";

    /// <summary><c>Sqlite</c> (embedded, the default) or <c>PostgreSql</c> (several instances may share one database).</summary>
    public StoreProvider Provider { get; set; } = StoreProvider.Sqlite;

    /// <summary>SQLite: folder of the database file; relative paths are taken from the working directory.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>SQLite: file name inside <see cref="DataDirectory"/>.</summary>
    public string DatabaseFile { get; set; } = "mtasts-reporting.db";

    /// <summary>SQLite: <c>Full</c> (fsync per commit; the default) or <c>Normal</c>.</summary>
    public SqliteDurability Durability { get; set; } = SqliteDurability.Full;

    /// <summary>PostgreSQL: the Npgsql connection string (best from the environment: <c>Storage__ConnectionString</c>).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>PostgreSQL: a file whose first line is the connection string (a secret kept out of the settings).</summary>
    public string? ConnectionStringFile { get; set; }

    /// <summary>
    /// How long a job that runs on one instance at a time (a mailbox, retention) stays with an
    /// instance that stopped renewing it; renewed every third of it.
    /// </summary>
    public TimeSpan LeaseTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Absolute path of the SQLite database file.</summary>
    public string DatabasePath => Path.GetFullPath(Path.Combine(DataDirectory, DatabaseFile));

    /// <summary>The store's settings; the connection string file is read here.</summary>
    public StoreSettings ToSettings(int queueCapacity, int maxGroupUnits) => Provider switch
    {
        StoreProvider.PostgreSql => new StoreSettings(StoreProvider.PostgreSql, PostgreSqlConnectionString(), Durability, queueCapacity, maxGroupUnits),
        _ => new StoreSettings(StoreProvider.Sqlite, DatabasePath, Durability, queueCapacity, maxGroupUnits),
    };

    private string PostgreSqlConnectionString() =>
        !string.IsNullOrWhiteSpace(ConnectionStringFile)
            ? File.ReadLines(ConnectionStringFile).FirstOrDefault()?.Trim() ?? string.Empty
            : ConnectionString ?? string.Empty;
}

/// <summary>Checks <see cref="StoreOptions"/> at start; messages name the setting.</summary>
internal sealed class StoreOptionsValidator : IValidateOptions<StoreOptions>
{
    public ValidateOptionsResult Validate(string? name, StoreOptions options)
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(options.Provider))
        {
            errors.Add($"Storage:Provider must be Sqlite or PostgreSql (got '{options.Provider}').");
        }

        if (options.Provider == StoreProvider.Sqlite)
        {
            if (string.IsNullOrWhiteSpace(options.DataDirectory))
            {
                errors.Add("Storage:DataDirectory must name a folder.");
            }

            if (string.IsNullOrWhiteSpace(options.DatabaseFile) || options.DatabaseFile.IndexOfAny(['/', '\\']) >= 0)
            {
                errors.Add($"Storage:DatabaseFile must be a plain file name (got '{options.DatabaseFile}').");
            }

            if (!string.IsNullOrEmpty(options.ConnectionString) || !string.IsNullOrEmpty(options.ConnectionStringFile))
            {
                errors.Add("Storage:ConnectionString and Storage:ConnectionStringFile are for Storage:Provider=PostgreSql; SQLite is placed with Storage:DataDirectory and Storage:DatabaseFile.");
            }
        }

        if (options.Provider == StoreProvider.PostgreSql)
        {
            errors.AddRange(PostgreSqlProblems(options));
        }

        if (!Enum.IsDefined(options.Durability))
        {
            errors.Add($"Storage:Durability must be Full or Normal (got '{options.Durability}').");
        }

        if (options.LeaseTime < TimeSpan.FromSeconds(1) || options.LeaseTime > TimeSpan.FromHours(1))
        {
            errors.Add($"Storage:LeaseTime must be between 00:00:01 and 01:00:00 (got {options.LeaseTime}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static IEnumerable<string> PostgreSqlProblems(StoreOptions options)
    {
        var fromFile = !string.IsNullOrWhiteSpace(options.ConnectionStringFile);
        if (fromFile == !string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            yield return "Storage:Provider=PostgreSql needs exactly one of Storage:ConnectionString (for example from the environment, Storage__ConnectionString) and Storage:ConnectionStringFile.";
            yield break;
        }

        if (fromFile && !File.Exists(options.ConnectionStringFile))
        {
            yield return $"Storage:ConnectionStringFile: {options.ConnectionStringFile} does not exist.";
            yield break;
        }

        string? problem = null;
        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(options.ToSettings(1, 1).ConnectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or IOException or UnauthorizedAccessException)
        {
            problem = $"Storage:{(fromFile ? "ConnectionStringFile" : "ConnectionString")} is not a valid PostgreSQL connection string: {ex.Message}";
        }

        if (problem is not null)
        {
            yield return problem;
        }
    }
}
