using Microsoft.Extensions.Options;
using MtaStsReporting.Daemon.Hosting;

namespace MtaStsReporting.Daemon.Security;

/// <summary>Access control (API keys, client certificates) and limits, and the gRPC stack they guard.</summary>
public static class SecurityRegistration
{
    /// <summary>Registers authentication, rate limits and gRPC with its interceptors, JSON transcoding and reflection.</summary>
    public static IServiceCollection AddSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<SecurityOptions>(configuration, SecurityOptions.Section);
        services.AddSettings<LimitsOptions>(configuration, LimitsOptions.Section);
        services.AddSingleton<IValidateOptions<LimitsOptions>, LimitsOptionsValidator>();
        services.AddSingleton(sp => new ClientCertificateAuthority(sp.GetRequiredService<IOptions<SecurityOptions>>().Value.ClientCertificates,
            sp.GetRequiredService<ILogger<ClientCertificateAuthority>>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new AuthorizationInterceptor(
            sp.GetRequiredService<IOptions<SecurityOptions>>().Value, sp.GetRequiredService<Persistence.Security.ApiKeyStore>(),
            sp.GetRequiredService<ClientCertificateAuthority>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new RateLimitInterceptor(sp.GetRequiredService<IOptions<LimitsOptions>>().Value, sp.GetRequiredService<TimeProvider>()));

        // Kestrel and gRPC read the limits when they are built, before options validation runs.
        var limits = configuration.GetSection(LimitsOptions.Section).Get<LimitsOptions>() ?? new LimitsOptions();
        services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(k => k.Limits.Http2.MaxStreamsPerConnection = Math.Max(1, limits.MaxStreamsPerConnection));
        services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = limits.MaxMessageBytes;
            // Order matters: who the caller is first, then how much it may ask.
            o.Interceptors.Add<AuthorizationInterceptor>();
            o.Interceptors.Add<RateLimitInterceptor>();
        }).AddJsonTranscoding();
        services.AddGrpcReflection();
        return services;
    }
}
