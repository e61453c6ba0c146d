using Microsoft.Extensions.Options;

namespace MtaStsReporting.Daemon.Hosting;

/// <summary>
/// Every options class the daemon binds from configuration, by its section: the one list that
/// the shorthand rewriting (<see cref="SettingShorthands"/>) and the check at start
/// (<see cref="ValidateAll"/>) read. A feature binds its own with <see cref="AddSettings{T}"/>.
/// </summary>
public static class SettingsSections
{
    /// <summary>Section and type of every bound options class.</summary>
    public static readonly IReadOnlyList<(string Section, Type Type)> All =
    [
        (Storage.StoreOptions.Section, typeof(Storage.StoreOptions)),
        (Storage.RetentionOptions.Section, typeof(Storage.RetentionOptions)),
        (Relay.RelayOptions.Section, typeof(Relay.RelayOptions)),
        (Collector.CollectorOptions.Section, typeof(Collector.CollectorOptions)),
        (Forward.ForwardOptions.Section, typeof(Forward.ForwardOptions)),
        (Ingestion.IngestionOptions.Section, typeof(Ingestion.IngestionOptions)),
        (Outbound.OutboundOptions.Section, typeof(Outbound.OutboundOptions)),
        (DnsOptions.Section, typeof(DnsOptions)),
        (Readiness.CheckOptions.Section, typeof(Readiness.CheckOptions)),
        (Readiness.ReadinessRegistration.Section, typeof(Domain.Readiness.ReadinessRules)),
        (Security.SecurityOptions.Section, typeof(Security.SecurityOptions)),
        (Security.LimitsOptions.Section, typeof(Security.LimitsOptions)),
        (GrpcListenerOptions.Section, typeof(GrpcListenerOptions)),
        (PolicyHosting.PolicyHostingOptions.Section, typeof(PolicyHosting.PolicyHostingOptions)),
    ];

    /// <summary>Binds a section to its options class; an unknown key in it is an error at start.</summary>
    public static OptionsBuilder<T> AddSettings<T>(this IServiceCollection services, IConfiguration configuration, string section)
        where T : class
    {
        if (!All.Contains((section, typeof(T))))
        {
            throw new InvalidOperationException($"{typeof(T).Name} ({section}) is not listed in SettingsSections.All.");
        }

        return services.AddOptions<T>().Bind(configuration.GetSection(section), o => o.ErrorOnUnknownConfiguration = true);
    }

    /// <summary>Reads every bound options class, so that every validator runs before anything touches the disk or the network.</summary>
    public static void ValidateAll(IServiceProvider services)
    {
        foreach (var (_, type) in All)
        {
            var options = services.GetService(typeof(IOptions<>).MakeGenericType(type));
            _ = options?.GetType().GetProperty(nameof(IOptions<object>.Value))!.GetValue(options);
        }
    }
}
