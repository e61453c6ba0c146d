using Microsoft.Extensions.Options;
using MtaStsReporting.Daemon.Hosting;

namespace MtaStsReporting.Daemon.Relay;

/// <summary>The relay outcome API: its limits and the reader that enforces them.</summary>
public static class RelayRegistration
{
    /// <summary>Registers the relay settings and the request reader (the service itself is mapped by the host).</summary>
    public static IServiceCollection AddRelay(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<RelayOptions>(configuration, RelayOptions.Section);
        services.AddSingleton<IValidateOptions<RelayOptions>, RelayOptionsValidator>();
        services.AddSingleton(sp => new RelayRequestReader(sp.GetRequiredService<IOptions<RelayOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        return services;
    }
}
