using Microsoft.Extensions.Logging;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using MtaStsReporting.Daemon.Hosting;
using MtaStsReporting.Persistence.Store;
using MtaStsReporting.Tests.Shared;

namespace MtaStsReporting.Daemon.Tests.Support;

/// <summary>
/// The real daemon host, started in the test process on a free loopback port with its own
/// database: the gRPC surface, Kestrel and the database are all real. The database is an SQLite
/// file, or with <c>MTASTS_TEST_STORE=PostgreSql</c> (the test command's second run of the
/// store-facing suites) a new database on the tests' PostgreSQL cluster.
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

    /// <summary>The engine the in-process daemons of this test run use.</summary>
    public static StoreProvider Engine { get; } =
        Enum.TryParse<StoreProvider>(Environment.GetEnvironmentVariable("MTASTS_TEST_STORE"), ignoreCase: true, out var engine) ? engine : StoreProvider.Sqlite;

    public string DatabasePath => Path.Combine(_directory.Path, "mtasts-reporting.db");

    /// <summary>The daemon's database, as a reader opens it.</summary>
    public StoreSettings StoreSettings => _connectionString is null ? StoreSettings.SqliteFile(DatabasePath) : new StoreSettings(StoreProvider.PostgreSql, _connectionString);

    public StoreReader Store => new(StoreSettings);

    private string? _connectionString;

    public IServiceProvider Services => _daemon!.Services;

    /// <summary>The gRPC listener's URL (Channel.Target drops the scheme).</summary>
    public string Url => _daemon!.Urls.Single();

    public string? IngestionUrl => _daemon!.IngestionUrl;

    public string? HttpApiUrl => _daemon!.HttpApiUrl;

    public string? PolicyHostingUrl => _daemon!.PolicyHostingUrl;

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
        if (Engine == StoreProvider.PostgreSql)
        {
            _connectionString ??= await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        }

        string[] store = _connectionString is null
            ? [$"--Storage:DataDirectory={_directory.Path}"]
            : ["--Storage:Provider=PostgreSql", $"--Storage:ConnectionString={_connectionString}"];
        string[] args = ["--urls=http://127.0.0.1:0", "--HttpApi:Url=http://127.0.0.1:0", .. store, .. extraArgs];
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
