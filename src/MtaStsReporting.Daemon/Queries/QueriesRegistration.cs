using MtaStsReporting.Persistence.Store;

namespace MtaStsReporting.Daemon.Queries;

/// <summary>The query API's read side.</summary>
public static class QueriesRegistration
{
    /// <summary>Registers the queries over the store.</summary>
    public static IServiceCollection AddQueries(this IServiceCollection services) =>
        services.AddSingleton(sp => new ReportingQueries(sp.GetRequiredService<ReportingStore>()));
}
