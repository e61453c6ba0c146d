using Microsoft.Extensions.Logging;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using MtaStsReporting.Daemon.Hosting;

namespace MtaStsReporting.Daemon.Tests.Support;

/// <summary>
/// The real daemon host, started in the test process on a free loopback port with its own
/// database file: the gRPC surface, Kestrel and SQLite are all real.
/// </summary>
public sealed class InProcessDaemon : IAsyncDisposable
{
    public static readonly DateTimeOffset DefaultNow = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    private readonly TempDirectory _directory;
    private RunningDaemon? _daemon;
    private string[] _extraArgs = [];

    private InProcessDaemon(TempDirectory directory, FixedTimeProvider clock)
    {
        _directory = directory;
        Clock = clock;
    }

    public FixedTimeProvider Clock { get; }

    /// <summary>What the daemon logged (information and above).</summary>
    public LogCollector Logs { get; } = new();

    public GrpcChannel Channel { get; private set; } = null!;

    public string DatabasePath => Path.Combine(_directory.Path, "mtasts-reporting.db");

    public StoreReader Store => new(DatabasePath);

    public IServiceProvider Services => _daemon!.Services;

    /// <summary>The gRPC listener's URL (Channel.Target drops the scheme).</summary>
    public string Url => _daemon!.Urls.Single();

    public string? IngestionUrl => _daemon!.IngestionUrl;

    public string? HttpApiUrl => _daemon!.HttpApiUrl;

    public static async Task<InProcessDaemon> StartAsync(params string[] extraArgs)
    {
        var daemon = new InProcessDaemon(new TempDirectory(), new FixedTimeProvider(DefaultNow));
        await daemon.StartCoreAsync(extraArgs);
        return daemon;
    }

    /// <summary>Stops gracefully and starts again on the same database file, with other settings if given.</summary>
    public async Task RestartAsync(params string[] extraArgs)
    {
        await StopCoreAsync();
        await StartCoreAsync(extraArgs.Length > 0 ? extraArgs : _extraArgs);
    }

    private async Task StartCoreAsync(string[] extraArgs)
    {
        _extraArgs = extraArgs;
        string[] args = ["--urls=http://127.0.0.1:0", "--HttpApi:Url=http://127.0.0.1:0", $"--Storage:DataDirectory={_directory.Path}", .. extraArgs];
        _daemon = await DaemonApp.StartAsync(args, services =>
        {
            services.AddSingleton<TimeProvider>(Clock);
            services.AddSingleton<ILoggerProvider>(Logs);
        });
        Channel = GrpcChannel.ForAddress(Url);
    }

    private async Task StopCoreAsync()
    {
        Channel.Dispose();
        if (_daemon is not null)
        {
            await _daemon.DisposeAsync();
            _daemon = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopCoreAsync();
        _directory.Dispose();
    }
}
