using Microsoft.Extensions.Options;
using MtaStsReporting.Daemon.Collector;
using MtaStsReporting.Daemon.Hosting;

namespace MtaStsReporting.Daemon.Forward;

/// <summary>The forwarder's parts: settings, spool, sender (also its health check) and the collector's sink into the spool.</summary>
public static class ForwardRegistration
{
    /// <summary>Registers the forwarder; call before <c>AddCollector</c>, whose default sink is the store.</summary>
    public static IServiceCollection AddForwarding(this IServiceCollection services, IConfiguration configuration, string? key)
    {
        services.AddSettings<ForwardOptions>(configuration, ForwardOptions.Section);
        services.AddSingleton<IValidateOptions<ForwardOptions>, ForwardOptionsValidator>();
        services.AddSingleton(new ForwardKey(key));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ForwardOptions>>().Value;
            return new BatchSpool(options.Spool, options.SpoolMaxMiB * 1024L * 1024);
        });
        services.AddSingleton<SpoolSender>();
        services.AddHostedService(sp => sp.GetRequiredService<SpoolSender>());
        services.AddSingleton<ICollectorSink, SpoolCollectorSink>();
        services.AddHealthChecks().AddCheck<SpoolSender>("forward");
        return services;
    }
}
