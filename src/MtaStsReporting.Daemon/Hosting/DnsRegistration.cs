using DnsClient;
using Microsoft.Extensions.Options;

namespace MtaStsReporting.Daemon.Hosting;

/// <summary>The resolver shared by DKIM checks and the live check. Section <c>Dns</c>.</summary>
public static class DnsRegistration
{
    /// <summary>Registers the DNS settings and the resolver.</summary>
    public static IServiceCollection AddDns(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<DnsOptions>(configuration, DnsOptions.Section);
        services.AddSingleton<IValidateOptions<DnsOptions>, DnsOptionsValidator>();
        services.AddSingleton<ILookupClient>(sp => CreateLookupClient(sp.GetRequiredService<IOptions<DnsOptions>>().Value));
        return services;
    }

    private static LookupClient CreateLookupClient(DnsOptions options)
    {
        var lookup = options.Servers.Count == 0
            ? new LookupClientOptions()
            : new LookupClientOptions(options.Servers.Select(DnsOptionsValidator.ParseEndpoint).ToArray());
        lookup.Timeout = options.Timeout;
        lookup.UseCache = true;
        return new LookupClient(lookup);
    }
}
