using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using MtaStsReporting.Daemon.Collector;
using MtaStsReporting.Daemon.Hosting;
using MtaStsReporting.Daemon.Observability;

namespace MtaStsReporting.Daemon.Forward;

/// <summary>
/// <c>mtasts-reporting forward --socket PATH --to URL</c>: runs on each relay host of a fleet.
/// It reads the local libtlsrpt socket as the daemon's collector does, counts datagrams per day,
/// domain and policy, spools them as relay batches and sends them to a central daemon
/// (<see cref="SpoolSender"/>). Settings in the daemon's form (<c>--Collector:Mode=0660</c>) pass through.
/// </summary>
public static class ForwardCommand
{
    /// <summary>The <c>forward</c> command; it runs the forwarder until SIGTERM: exit 0, 1 (cannot start) or 2 (usage).</summary>
    public static Command Build(IReadOnlyList<string> daemonSettings, TextWriter error)
    {
        var socket = new Option<string>("--socket") { Description = "the libtlsrpt socket to bind (Postfix's smtp_tlsrpt_socket_name, as an absolute path)", Required = true };
        var to = new Option<string>("--to") { Description = "the central daemon's gRPC address, e.g. https://reports.example.net:50051", Required = true };
        var keyFile = new Option<string?>("--key-file") { Description = $"a file holding a relay key of the central daemon (else ${DaemonConnection.KeyVariable})" };
        var caFile = new Option<string?>("--ca-file") { Description = "a PEM file of the CAs to trust for the central daemon's certificate" };
        var spool = new Option<string?>("--spool") { Description = "the spool folder (default data/forward-spool)" };
        var listen = new Option<string?>("--listen") { Description = "where /metrics and /healthz are served (default http://127.0.0.1:50053)" };
        var forward = new Command("forward", "Read the local libtlsrpt socket and forward the counts to a central daemon, spooling them on disk while it cannot be reached.")
        {
            socket, to, keyFile, caFile, spool, listen,
        };
        forward.SetAction(async (parsed, _) =>
        {
            var settings = daemonSettings.ToList();
            settings.Add($"--Collector:Socket={parsed.GetValue(socket)}");
            settings.Add($"--Forward:To={parsed.GetValue(to)}");
            AddIfSet(settings, "Forward:CaFile", parsed.GetValue(caFile));
            AddIfSet(settings, "Forward:Spool", parsed.GetValue(spool));
            AddIfSet(settings, "Forward:Listen", parsed.GetValue(listen));

            string? key;
            try
            {
                key = await DaemonConnection.ReadKeyAsync(parsed.GetValue(keyFile));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                await error.WriteLineAsync($"mtasts-reporting forward: the key file cannot be read: {ex.Message}");
                return CommandTree.UsageError;
            }

            return await RunHostAsync([.. settings], key);
        });
        return forward;
    }

    private static void AddIfSet(List<string> settings, string name, string? value)
    {
        if (value is not null)
        {
            settings.Add($"--{name}={value}");
        }
    }

    private static async Task<int> RunHostAsync(string[] settings, string? key)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = settings, ContentRootPath = AppContext.BaseDirectory });
        builder.Host.UseSystemd();
        SettingsFile.Add(builder.Configuration);
        SettingShorthands.Apply(builder.Configuration);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddObservability(builder.Configuration);
        builder.Services.AddForwarding(builder.Configuration, key);
        builder.Services.AddCollector(builder.Configuration);
        var listen = builder.Configuration["Forward:Listen"] ?? new ForwardOptions().Listen;
        builder.WebHost.UseUrls(listen);
        await using var app = builder.Build();
        try
        {
            SettingsSections.ValidateAll(app.Services);
            if (Probe(listen) is { } busy)
            {
                await Console.Error.WriteLineAsync($"mtasts-reporting forward: cannot listen on {listen} (--listen): {busy}");
                return 1;
            }

            var spool = app.Services.GetRequiredService<BatchSpool>();
            app.Services.GetRequiredService<DaemonMetrics>().ObserveSpool(() => spool.Count, () => spool.Bytes);
            app.MapHealthChecks("/healthz");
            if (ObservabilityRegistration.MetricsEnabled(app.Configuration))
            {
                app.MapPrometheusScrapingEndpoint("/metrics");
            }

            app.Services.GetRequiredService<DatagramCollector>().OpenSocket();
            await app.StartAsync();
            ForwardLog.Started(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MtaStsReporting.Daemon.Forward"),
                builder.Configuration["Forward:To"]!, spool.Folder, spool.Count, listen);
        }
        catch (Exception ex) when (DaemonApp.ConfigurationProblem(ex) is { } problem)
        {
            await Console.Error.WriteLineAsync("mtasts-reporting forward: configuration error: " + problem);
            return 2;
        }
        catch (CollectorSocketException ex)
        {
            await Console.Error.WriteLineAsync("mtasts-reporting forward: " + ex.Message);
            return 1;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync("mtasts-reporting forward: the spool cannot be used: " + ex.Message);
            return 1;
        }

        await app.WaitForShutdownAsync();
        return 0;
    }

    /// <summary>Whether the listener's port can be bound: a busy port is one line, not Kestrel's stack trace.</summary>
    private static string? Probe(string listen)
    {
        var uri = new Uri(listen);
        var address = uri.Host is "localhost" ? IPAddress.Loopback : IPAddress.TryParse(uri.Host, out var ip) ? ip : IPAddress.Any;
        try
        {
            using var probe = new TcpListener(address, uri.Port);
            probe.Start();
            probe.Stop();
            return null;
        }
        catch (SocketException ex)
        {
            return ex.Message;
        }
    }
}
