using MtaStsReporting.Daemon.Relay;
using Microsoft.Extensions.Options;
using MtaStsReporting.Daemon.Hosting;
using MtaStsReporting.Persistence.Store;

namespace MtaStsReporting.Daemon.Storage;

/// <summary>The store feature: its settings, the store and its parts, start and stop, health, leases and retention.</summary>
public static class StorageRegistration
{
    /// <summary>Registers the store. Call first: its start must come before every other part's.</summary>
    public static IServiceCollection AddStore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<StoreOptions>(configuration, StoreOptions.Section);
        services.AddSingleton<IValidateOptions<StoreOptions>, StoreOptionsValidator>();
        services.AddSettings<RetentionOptions>(configuration, RetentionOptions.Section)
            .Validate(o => o.RelayOutcomeDays >= 1 && o.ReportDays >= 1 && o.RejectionDays >= 1 && o.BatchIdDays >= 1,
                "Retention:RelayOutcomeDays, ReportDays, RejectionDays and BatchIdDays must be at least 1.")
            .Validate(o => o.Interval >= TimeSpan.FromSeconds(1) && o.StepRows >= 1, "Retention:Interval must be at least 00:00:01 and Retention:StepRows at least 1.");

        services.AddSingleton(sp =>
        {
            var relay = sp.GetRequiredService<IOptions<RelayOptions>>().Value;
            var metrics = sp.GetRequiredService<Observability.DaemonMetrics>();
            var logger = sp.GetRequiredService<ILogger<ReportingStore>>();
            return new ReportingStore(
                sp.GetRequiredService<IOptions<StoreOptions>>().Value.ToSettings(relay.QueueCapacity, relay.MaxGroupBatches),
                sp.GetRequiredService<TimeProvider>(),
                stats =>
                {
                    metrics.GroupCommitted(stats.Units, stats.Elapsed);
                    StoreLog.GroupCommitted(logger, stats.Units, stats.Sessions, stats.Elapsed.TotalMilliseconds);
                },
                ex =>
                {
                    metrics.GroupFailed();
                    StoreLog.CommitFailed(logger, ex);
                });
        });
        services.AddSingleton(sp => sp.GetRequiredService<ReportingStore>().Relay);
        services.AddSingleton(sp => sp.GetRequiredService<ReportingStore>().Reports);
        services.AddSingleton(sp => sp.GetRequiredService<ReportingStore>().Keys);
        services.AddHealthChecks().AddCheck<StoreHealthCheck>("store");

        // Order matters: hosted services start in this order and stop in reverse, so the store
        // opens before the leases and the jobs that hold them, and closes after them.
        services.AddSingleton<StoreStartup>();
        services.AddHostedService(sp => sp.GetRequiredService<StoreStartup>());
        services.AddSingleton<LeaseKeeper>();
        services.AddHostedService(sp => sp.GetRequiredService<LeaseKeeper>());
        services.AddSingleton<RetentionWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<RetentionWorker>());
        return services;
    }
}
