using MtaStsReporting.Persistence.Store;
using MtaStsReporting.Tests.Shared;

namespace MtaStsReporting.Persistence.Tests.Support;

/// <summary>
/// A migrated, open store on a fresh database of the engine asked for: an SQLite file in a
/// temporary folder, or a new database on the shared PostgreSQL cluster.
/// </summary>
public sealed class TestStore : IAsyncDisposable
{
    /// <summary>The engines every store test runs on.</summary>
    public static TheoryData<StoreProvider> Engines => [StoreProvider.Sqlite, StoreProvider.PostgreSql];

    private readonly string? _directory;

    private TestStore(StoreSettings settings, string? directory, ManualClock clock, Action<GroupCommitStats>? onCommit = null)
    {
        Settings = settings;
        _directory = directory;
        Clock = clock;
        Store = new ReportingStore(settings, clock, onCommit);
    }

    /// <summary>Where the database is; another store (a second instance) may open the same.</summary>
    public StoreSettings Settings { get; }

    /// <summary>The store's clock, set by the test.</summary>
    public ManualClock Clock { get; }

    /// <summary>The open store.</summary>
    public ReportingStore Store { get; }

    public static readonly DateTimeOffset DefaultNow = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    public static async Task<TestStore> OpenAsync(StoreProvider provider, Action<GroupCommitStats>? onCommit = null)
    {
        TestStore store;
        if (provider == StoreProvider.Sqlite)
        {
            var directory = Path.Combine(Path.GetTempPath(), "mtasts-store-" + Guid.NewGuid().ToString("N"));
            store = new TestStore(StoreSettings.SqliteFile(Path.Combine(directory, "store.db")), directory, new ManualClock(DefaultNow), onCommit);
        }
        else
        {
            var server = await PostgresServer.GetAsync();
            store = new TestStore(new StoreSettings(StoreProvider.PostgreSql, await server.CreateDatabaseAsync()), null, new ManualClock(DefaultNow), onCommit);
        }

        await store.Store.MigrateAsync(CancellationToken.None);
        store.Store.Open();
        return store;
    }

    /// <summary>
    /// Holds the writer inside a transaction until released, so that what is queued meanwhile
    /// forms the next group; the task completes when the held unit is committed.
    /// </summary>
    public (Task Held, ManualResetEventSlim Release) HoldWriter()
    {
        var release = new ManualResetEventSlim();
        var inside = new TaskCompletionSource();
        var held = Store.WriteAsync(new WriteUnit<int>(_ =>
        {
            inside.TrySetResult();
            release.Wait(TimeSpan.FromSeconds(30));
            return 0;
        }), CancellationToken.None);
        inside.Task.Wait(TimeSpan.FromSeconds(30));
        return (held, release);
    }

    /// <summary>A second store on the same database, as another daemon instance would open it.</summary>
    public async Task<ReportingStore> OpenAnotherAsync()
    {
        var other = new ReportingStore(Settings, Clock);
        await other.MigrateAsync(CancellationToken.None);
        other.Open();
        return other;
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        if (_directory is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(_directory, recursive: true);
        }
    }
}

/// <summary>A clock the test sets.</summary>
public sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
