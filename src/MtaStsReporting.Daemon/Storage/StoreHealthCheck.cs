using Microsoft.Extensions.Diagnostics.HealthChecks;
using MtaStsReporting.Persistence.Store;

namespace MtaStsReporting.Daemon.Storage;

/// <summary>Healthy when the database answers a read and the last transaction of any kind went through.</summary>
public sealed class StoreHealthCheck(ReportingStore store) : IHealthCheck
{
    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await store.ProblemAsync(cancellationToken) is { } problem ? HealthCheckResult.Unhealthy(problem) : HealthCheckResult.Healthy();
}
