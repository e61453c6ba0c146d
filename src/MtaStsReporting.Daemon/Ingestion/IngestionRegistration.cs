using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using MtaStsReporting.Daemon.Hosting;
using MtaStsReporting.Daemon.Ingestion.Imap;
using MtaStsReporting.Daemon.Storage;
using MtaStsReporting.Persistence.Reports;

namespace MtaStsReporting.Daemon.Ingestion;

/// <summary>Inbound reports: the reader, DKIM, the ingestor, and one worker (with its health check) per mailbox, IMAP or Microsoft Graph.</summary>
public static class IngestionRegistration
{
    /// <summary>The health check tag of the mailboxes (gRPC health service <c>mailbox</c>).</summary>
    public const string MailboxTag = "mailbox";

    /// <summary>Registers ingestion. After <see cref="StorageRegistration.AddStore"/>: the mailbox workers hold leases.</summary>
    public static IServiceCollection AddIngestion(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<IngestionOptions>(configuration, IngestionOptions.Section);
        services.AddSingleton<IValidateOptions<IngestionOptions>, IngestionOptionsValidator>();
        services.AddSingleton<IDkimChecker, DkimChecker>();
        services.AddSingleton(sp => new ReportReader(sp.GetRequiredService<IOptions<IngestionOptions>>().Value.Limits));
        services.AddSingleton(sp => new ReportIngestor(
            sp.GetRequiredService<ReportReader>(),
            sp.GetRequiredService<TlsReportStore>(),
            sp.GetRequiredService<IDkimChecker>(),
            sp.GetRequiredService<IOptions<IngestionOptions>>().Value,
            sp.GetRequiredService<Observability.DaemonMetrics>(),
            sp.GetRequiredService<ILogger<ReportIngestor>>()));

        // One worker per configured mailbox; each reports its state to the health checks.
        services.AddSingleton<MailboxStatusBoard>();
        var health = services.AddHealthChecks();
        var mailboxes = configuration.GetSection(IngestionOptions.Section + ":Mailboxes").GetChildren().Count();
        for (var i = 0; i < mailboxes; i++)
        {
            var index = i;
            services.AddSingleton<IHostedService>(sp => new MailboxWorker(
                sp.GetRequiredService<IOptions<IngestionOptions>>().Value.Mailboxes[index],
                sp.GetRequiredService<ReportIngestor>(),
                sp.GetRequiredService<MailboxStatusBoard>(),
                sp.GetRequiredService<LeaseKeeper>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<Observability.DaemonMetrics>(),
                sp.GetRequiredService<ILogger<MailboxWorker>>()));
            health.Add(new HealthCheckRegistration(
                $"mailbox-{index}",
                sp => new MailboxHealthCheck(sp.GetRequiredService<IOptions<IngestionOptions>>().Value.Mailboxes[index].DisplayName, sp.GetRequiredService<MailboxStatusBoard>()),
                HealthStatus.Unhealthy,
                [MailboxTag]));
        }

        // The same for each mailbox read through Microsoft Graph.
        var graphMailboxes = configuration.GetSection(IngestionOptions.Section + ":GraphMailboxes").GetChildren().Count();
        for (var i = 0; i < graphMailboxes; i++)
        {
            var index = i;
            services.AddSingleton<IHostedService>(sp => new Graph.GraphMailboxWorker(
                sp.GetRequiredService<IOptions<IngestionOptions>>().Value.GraphMailboxes[index],
                sp.GetRequiredService<ReportIngestor>(),
                sp.GetRequiredService<MailboxStatusBoard>(),
                sp.GetRequiredService<LeaseKeeper>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<Observability.DaemonMetrics>(),
                sp.GetRequiredService<ILogger<Graph.GraphMailboxWorker>>()));
            health.Add(new HealthCheckRegistration(
                $"graph-mailbox-{index}",
                sp => new MailboxHealthCheck(sp.GetRequiredService<IOptions<IngestionOptions>>().Value.GraphMailboxes[index].DisplayName, sp.GetRequiredService<MailboxStatusBoard>()),
                HealthStatus.Unhealthy,
                [MailboxTag]));
        }

        return services;
    }
}
