using MtaStsReporting.Daemon.Dashboard;
using MtaStsReporting.Daemon.PolicyHosting;
using MtaStsReporting.Daemon.Observability;
using MtaStsReporting.Daemon.Queries;
using MtaStsReporting.Daemon.Readiness;
using System.Net;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using DnsClient;
using Microsoft.Extensions.Options;
using MtaStsReporting.Daemon.Ingestion;
using MtaStsReporting.Daemon.Ingestion.Imap;
using MtaStsReporting.Daemon.Collector;
using MtaStsReporting.Daemon.Outbound;
using MtaStsReporting.Daemon.Relay;
using MtaStsReporting.Daemon.Storage;
using MtaStsReporting.Persistence;
using MtaStsReporting.Persistence.Reports;
using MtaStsReporting.Persistence.Security;
using MtaStsReporting.Persistence.Store;
using MtaStsReporting.Daemon.Security;

namespace MtaStsReporting.Daemon.Hosting;

/// <summary>
/// Builds, starts and stops the daemon. Kept apart from Program so that tests run the very
/// same host in process, on a real socket and a real database file.
/// </summary>
public static partial class DaemonApp
{
    /// <summary>The process entry point: the command line (<see cref="CommandTree"/>); without a command, the daemon.</summary>
    public static Task<int> MainAsync(string[] args) => CommandTree.RunAsync(args, Console.Out, Console.Error);

    /// <summary>Runs the daemon until SIGTERM or Ctrl+C: exit 2 on a bad setting, 1 when it cannot start (store, socket, port).</summary>
    /// <param name="args">Settings (<c>--Section:Key=value</c>) and <c>--urls</c>.</param>
    /// <param name="error">Where the one line of a failed start goes.</param>
    internal static async Task<int> ServeAsync(string[] args, TextWriter error)
    {
        RunningDaemon daemon;
        try
        {
            daemon = await StartAsync(args);
        }
        catch (Exception ex) when (ConfigurationProblem(ex) is { } problem)
        {
            await error.WriteLineAsync("mtasts-reporting: configuration error: " + problem);
            return 2;
        }
        catch (Exception ex) when (ex is Persistence.StoreUnavailableException or CollectorSocketException or ListenerInUseException)
        {
            await error.WriteLineAsync("mtasts-reporting: " + ex.Message);
            return 1;
        }

        await using (daemon)
        {
            await daemon.WaitForShutdownAsync();
        }

        return 0;
    }

    /// <summary><c>import PATH...</c>: imports files into the configured store without starting the listener.</summary>
    internal static Task<int> ImportAsync(List<string> settings, List<string> paths) => RunOfflineAsync(settings,
        services => new ImportCommand(services.GetRequiredService<ReportIngestor>(), Console.Out).RunAsync(paths, CancellationToken.None));

    /// <summary><c>keys create|list|revoke …</c> on the configured store.</summary>
    internal static Task<int> KeysAsync(List<string> settings, Func<ApiKeyStore, Task<int>> command) => RunOfflineAsync(settings,
        services => command(services.GetRequiredService<ApiKeyStore>()));

    /// <summary>
    /// Runs a command against the configured store without starting listeners or workers:
    /// settings are checked and migrations applied first, as at start.
    /// </summary>
    private static async Task<int> RunOfflineAsync(List<string> settings, Func<IServiceProvider, Task<int>> command)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [.. settings], ContentRootPath = AppContext.BaseDirectory });
        SettingsFile.Add(builder.Configuration);
        SettingShorthands.Apply(builder.Configuration);
        // Standard output carries the command's answer; logs (warnings and worse) go to standard error.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Warning" });
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.AddDaemonServices(builder.Configuration);
        await using var app = builder.Build();
        var store = app.Services.GetRequiredService<ReportingStore>();
        try
        {
            ValidateSettings(app.Services);
            await app.Services.GetRequiredService<StoreStartup>().StartAsync(CancellationToken.None);
        }
        catch (Exception ex) when (ConfigurationProblem(ex) is { } problem)
        {
            await Console.Error.WriteLineAsync("mtasts-reporting: configuration error: " + problem);
            return 2;
        }
        catch (Persistence.StoreUnavailableException ex)
        {
            await Console.Error.WriteLineAsync("mtasts-reporting: " + ex.Message);
            return 1;
        }

        try
        {
            return await command(app.Services);
        }
        finally
        {
            await store.DisposeAsync();
        }
    }

    // Settings are checked before anything touches the disk or the network.
    private static void ValidateSettings(IServiceProvider services) => SettingsSections.ValidateAll(services);

    /// <summary>Builds the host, validates settings, opens the store and starts listening.</summary>
    /// <param name="args">Command line: any configuration key (<c>--Storage:DataDirectory=/var/lib/x</c>) and <c>--urls</c>.</param>
    /// <param name="configureServices">Lets tests replace services (the clock) before the host is built.</param>
    /// <param name="cancellationToken">Aborts the start.</param>
    public static async Task<RunningDaemon> StartAsync(string[] args, Action<IServiceCollection>? configureServices = null, CancellationToken cancellationToken = default)
    {
        // The gRPC listener's address comes from --urls (the usual ASP.NET switch) or Grpc:Urls.
        // It is taken out of the arguments: the listeners are set up in code (see Listeners),
        // and Kestrel would otherwise warn that it ignores "urls".
        var (urls, others) = TakeUrls(args);

        // Settings files sit next to the executable; relative data paths are taken from the
        // working directory, as a user who types a path expects.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = others, ContentRootPath = AppContext.BaseDirectory });
        // Under systemd (Type=notify): "ready" once listening, "stopping" on SIGTERM, and log
        // lines with their syslog priority for the journal. Nothing changes elsewhere.
        builder.Host.UseSystemd();
        // Every source is in place before Kestrel settings are looked for: the settings file too.
        SettingsFile.Add(builder.Configuration);
        RefuseKestrelSettings(builder.Configuration);
        SettingShorthands.Apply(builder.Configuration);
        builder.Services.AddDaemonServices(builder.Configuration);
        configureServices?.Invoke(builder.Services);

        var listeners = new Listeners();
        builder.Services.AddSingleton(listeners);
        builder.WebHost.ConfigureKestrel(kestrel => listeners.Configure(kestrel, urls, builder.Configuration));

        var app = builder.Build();
        try
        {
            ValidateSettings(app.Services);

            app.MapGrpcService<RelayOutcomesService>();
            app.MapGrpcService<ReportImportService>();
            app.MapGrpcService<Queries.QueryService>();
            app.MapGrpcService<Readiness.ReadinessService>();
            app.MapGrpcService<Outbound.OutboundReportsService>();
            app.MapGrpcService<PoliciesService>();
            app.MapGrpcHealthChecksService();
            app.MapGrpcReflectionService();
            app.MapReportUpload(listeners);
            app.MapDashboard(listeners);
            app.MapPolicyHosting(listeners);
            if (Observability.ObservabilityRegistration.MetricsEnabled(app.Configuration))
            {
                // With keys, the metrics (volumes, failure rates) are readers' data like the queries.
                var authorization = app.Services.GetRequiredService<Security.AuthorizationInterceptor>();
                app.Use(async (context, next) =>
                {
                    if (context.Request.Path.Equals("/metrics", StringComparison.OrdinalIgnoreCase)
                        && await authorization.AuthorizeHttpAsync(context, Security.AuthorizationInterceptor.MetricsReaders) is { } refused)
                    {
                        context.Response.StatusCode = refused.Status;
                        await context.Response.WriteAsync(refused.Reason + "\n");
                        return;
                    }

                    await next(context);
                });
                app.MapPrometheusScrapingEndpoint("/metrics");
            }

            // The store opens first (StoreStartup, here rather than inside the host's start, so
            // that a store that cannot be opened is one line), the listeners last.
            // A taken port is found before the store is opened: nothing is created for a daemon that cannot listen.
            _ = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>>().Value;
            if (listeners.FindTaken() is { } taken)
            {
                throw new ListenerInUseException(InUse(taken.Url, taken.Setting), null);
            }

            await app.Services.GetRequiredService<StoreStartup>().StartAsync(cancellationToken);
            // The policies served are read before the policy listener opens: it never answers 404 for a policy it holds.
            await app.Services.GetRequiredService<ServedPolicies>().LoadAsync(cancellationToken);
            app.Services.GetRequiredService<DatagramCollector>().OpenSocket();
            try
            {
                await app.StartAsync(cancellationToken);
            }
            catch (IOException ex) when (ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException && BoundAddress().Match(ex.Message) is { Success: true } m)
            {
                var url = m.Groups[1].Value;
                throw new ListenerInUseException(InUse(url, Uri.TryCreate(url, UriKind.Absolute, out var uri) ? listeners.SettingFor(uri.Port) : null), ex);
            }

            listeners.OnStarted();
            return new RunningDaemon(app, listeners);
        }
        catch
        {
            await app.Services.GetRequiredService<ReportingStore>().DisposeAsync();
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Kestrel reads listeners and certificates from a <c>Kestrel</c> section of its own, which
    /// would bypass the rules every listener of the daemon goes through (loopback only without
    /// keys, no cleartext off loopback without Grpc:AllowCleartext): such settings are refused.
    /// </summary>
    private static void RefuseKestrelSettings(IConfiguration configuration)
    {
        var kestrel = configuration.GetSection("Kestrel");
        if (kestrel.Exists())
        {
            var first = kestrel.AsEnumerable().Where(kv => kv.Value is not null).Select(kv => kv.Key).Order(StringComparer.Ordinal).FirstOrDefault() ?? "Kestrel";
            throw new OptionsValidationFailure(
                $"{first}: Kestrel settings are not accepted; listeners are set with --urls (Grpc:Urls), HttpApi:Url and Ingestion:Https:Url, which apply the exposure and TLS rules.");
        }
    }

    private static string InUse(string url, string? setting) =>
        $"cannot listen on {url}: the address is already in use (another mtasts-reporting, or another program)" + (setting is null ? "" : $"; choose another with {setting}");

    // Kestrel: "Failed to bind to address http://127.0.0.1:50051: address already in use."
    [System.Text.RegularExpressions.GeneratedRegex(@"to address (\S+?):? address already in use")]
    private static partial System.Text.RegularExpressions.Regex BoundAddress();

    private static (string? Urls, string[] Others) TakeUrls(string[] args)
    {
        string? urls = null;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "--urls" or "/urls" && i + 1 < args.Length)
            {
                urls = args[++i];
            }
            else if (args[i].StartsWith("--urls=", StringComparison.OrdinalIgnoreCase))
            {
                urls = args[i]["--urls=".Length..];
            }
            else
            {
                rest.Add(args[i]);
            }
        }

        return (urls, [.. rest]);
    }

    /// <summary>Registers everything the daemon needs: each feature registers its own settings and parts.</summary>
    public static IServiceCollection AddDaemonServices(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(TimeProvider.System);

        // grpc.health.v1: service "" is the daemon (its store), service "mailbox" the mailboxes, so
        // that a mailbox that is down shows without marking the relay API as not serving.
        services.AddGrpcHealthChecks(o =>
        {
            o.Services.Map(string.Empty, r => !r.Tags.Contains(IngestionRegistration.MailboxTag));
            o.Services.Map(IngestionRegistration.MailboxTag, r => r.Tags.Contains(IngestionRegistration.MailboxTag));
        });

        // The store first: hosted services start in registration order.
        return services
            .AddObservability(configuration)
            .AddStore(configuration)
            .AddDns(configuration)
            .AddRelay(configuration)
            .AddCollector(configuration)
            .AddIngestion(configuration)
            .AddQueries()
            .AddReadiness(configuration)
            .AddOutbound(configuration)
            .AddPolicyHosting(configuration)
            .AddSecurity(configuration);
    }

    /// <summary>The one-line cause of a settings problem, or null when the exception is not one.</summary>
    internal static string? ConfigurationProblem(Exception ex) => ex switch
    {
        OptionsValidationException v => string.Join(" ", v.Failures),
        OptionsValidationFailure f => f.Message,
        // The binder names the key it could not read or did not know.
        InvalidOperationException { Source: "Microsoft.Extensions.Configuration.Binder" } b when b.Message.Contains("'System.TimeSpan'", StringComparison.Ordinal) =>
            b.Message + " Write a time span as 500ms, 5s, 10m, 2h, 30d or 00:00:05.",
        InvalidOperationException { Source: "Microsoft.Extensions.Configuration.Binder" } b => b.Message,
        _ when ex.InnerException is not null => ConfigurationProblem(ex.InnerException),
        _ => null,
    };
}

/// <summary>A started daemon. Disposing it stops the listener first, then commits and closes the store.</summary>
public sealed class RunningDaemon(WebApplication app, Listeners listeners) : IAsyncDisposable
{
    /// <summary>The addresses the gRPC API listens on (real ports, also when 0 was asked for).</summary>
    public IReadOnlyList<string> Urls => listeners.GrpcUrls;

    /// <summary>The report upload endpoint's address, when enabled.</summary>
    public string? IngestionUrl => listeners.IngestionUrl;

    /// <summary>The HTTP/JSON API's address, when enabled.</summary>
    public string? HttpApiUrl => listeners.HttpApiUrl;

    /// <summary>Where the hosted MTA-STS policies are served, when enabled.</summary>
    public string? PolicyHostingUrl => listeners.PolicyHostingUrl;

    /// <summary>The daemon's services.</summary>
    public IServiceProvider Services => app.Services;

    /// <summary>Completes when SIGTERM or Ctrl+C arrives and the listener has stopped.</summary>
    public Task WaitForShutdownAsync() => app.WaitForShutdownAsync();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // Hosted services stop in reverse order: the listeners, the jobs, then the store, which
        // commits everything accepted before it closes.
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
