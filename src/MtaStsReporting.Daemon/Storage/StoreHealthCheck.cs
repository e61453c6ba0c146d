using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace MtaStsReporting.Daemon.Storage;

/// <summary>Healthy when the database answers a read and the last group commit went through.</summary>
public sealed class StoreHealthCheck(RelayOutcomeStore store) : IHealthCheck
{
    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = new SqliteConnection(store.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM __EFMigrationsHistory";
            await command.ExecuteScalarAsync(cancellationToken);
        }
        catch (SqliteException ex)
        {
            return HealthCheckResult.Unhealthy("The database does not answer: " + ex.Message);
        }

        return store.LastCommitError is { } error
            ? HealthCheckResult.Unhealthy("The last commit failed: " + error)
            : HealthCheckResult.Healthy();
    }
}
