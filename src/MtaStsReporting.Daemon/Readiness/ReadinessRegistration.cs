using DnsClient;
using Microsoft.Extensions.Options;
using MtaStsReporting.Daemon.Hosting;
using MtaStsReporting.Domain.Readiness;

namespace MtaStsReporting.Daemon.Readiness;

/// <summary>The live check and the readiness verdict: their settings (<c>Check</c>, <c>Readiness</c>) and parts.</summary>
public static class ReadinessRegistration
{
    /// <summary>The configuration section of the readiness rules.</summary>
    public const string Section = "Readiness";

    /// <summary>Registers the live check and the rules. After <see cref="DnsRegistration.AddDns"/>.</summary>
    public static IServiceCollection AddReadiness(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<CheckOptions>(configuration, CheckOptions.Section);
        services.AddSettings<ReadinessRules>(configuration, Section);
        services.AddSingleton<IValidateOptions<CheckOptions>, CheckOptionsValidator>();
        services.AddSingleton<IValidateOptions<ReadinessRules>, ReadinessRulesValidator>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<ReadinessRules>>().Value);
        services.AddSingleton(sp => new DnsLookup(sp.GetRequiredService<ILookupClient>()));
        services.AddSingleton(sp => CertificateChecker.FromFiles(sp.GetRequiredService<IOptions<CheckOptions>>().Value.TrustedCaFiles, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new PolicyFetcher(sp.GetRequiredService<DnsLookup>(), sp.GetRequiredService<IOptions<CheckOptions>>().Value, sp.GetRequiredService<CertificateChecker>()));
        services.AddSingleton(sp => new MxProber(
            sp.GetRequiredService<DnsLookup>(), sp.GetRequiredService<IOptions<CheckOptions>>().Value,
            sp.GetRequiredService<CertificateChecker>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new LiveChecker(
            sp.GetRequiredService<DnsLookup>(), sp.GetRequiredService<PolicyFetcher>(),
            sp.GetRequiredService<MxProber>(), sp.GetRequiredService<IOptions<CheckOptions>>().Value,
            sp.GetRequiredService<ReadinessRules>()));
        services.AddSingleton<ReadinessJudge>();
        return services;
    }
}
