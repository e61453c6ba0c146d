using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace MtaStsReporting.Daemon.Observability;

/// <summary>The observability feature: the daemon's metrics, Prometheus at /metrics, OTLP traces on request.</summary>
public static class ObservabilityRegistration
{
    /// <summary>Telemetry:Metrics: on unless set to false (the services and the /metrics route both ask).</summary>
    public static bool MetricsEnabled(IConfiguration configuration) =>
        !string.Equals(configuration["Telemetry:Metrics"], "false", StringComparison.OrdinalIgnoreCase);

    /// <summary>Registers the metrics and, when asked, the OpenTelemetry exporters.</summary>
    public static IServiceCollection AddObservability(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<DaemonMetrics>();
        // The OpenTelemetry SDK costs about a tenth of the unary relay throughput (README,
        // Benchmark): Telemetry:Metrics=false turns it off where that matters more.
        var metricsOn = MetricsEnabled(configuration);
        var otlp = configuration["Telemetry:OtlpEndpoint"];
        if (metricsOn || !string.IsNullOrEmpty(otlp))
        {
            var otel = services.AddOpenTelemetry().ConfigureResource(r => r.AddService("mtasts-reporting"));
            if (metricsOn)
            {
                otel.WithMetrics(m => m.AddMeter(DaemonMetrics.MeterName).AddAspNetCoreInstrumentation().AddPrometheusExporter());
            }

            if (!string.IsNullOrEmpty(otlp))
            {
                otel.WithTracing(t => t.AddAspNetCoreInstrumentation().AddOtlpExporter(o => o.Endpoint = new Uri(otlp)));
            }
        }

        return services;
    }
}
