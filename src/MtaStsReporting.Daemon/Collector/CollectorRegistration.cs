using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using MtaStsReporting.Daemon.Hosting;

namespace MtaStsReporting.Daemon.Collector;

/// <summary>The libtlsrpt datagram collector: its settings and the service that reads the socket.</summary>
public static class CollectorRegistration
{
    /// <summary>Registers the collector; it binds its socket at start only when <c>Collector:Socket</c> is set.</summary>
    public static IServiceCollection AddCollector(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<CollectorOptions>(configuration, CollectorOptions.Section);
        services.AddSingleton<IValidateOptions<CollectorOptions>, CollectorOptionsValidator>();
        services.TryAddSingleton<ICollectorSink, StoreCollectorSink>();
        services.AddSingleton<DatagramCollector>();
        services.AddHostedService(sp => sp.GetRequiredService<DatagramCollector>());
        return services;
    }
}
