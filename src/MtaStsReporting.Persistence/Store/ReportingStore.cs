using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using MtaStsReporting.Persistence.Coordination;
using MtaStsReporting.Persistence.RelayOutcomes;
using MtaStsReporting.Persistence.Reports;
using MtaStsReporting.Persistence.Retention;
using MtaStsReporting.Persistence.Security;

namespace MtaStsReporting.Persistence.Store;

/// <summary>
/// The store's one front door. It owns the connection settings, the migrations and the single
/// writer (<see cref="GroupCommitter"/>) through which every write goes, whatever its kind, and
/// so the commit health of all of them. Its parts speak the domain's words: relay outcomes,
/// inbound reports, API keys, retention, leases. Reads open their own connections
/// (<see cref="OpenReaderAsync"/>): SQLite's WAL and PostgreSQL's MVCC never make a reader wait
/// for the writer.
/// </summary>
public sealed class ReportingStore : IAsyncDisposable
{
    private readonly StoreSettings _settings;
    private readonly TimeProvider _time;
    private readonly Action<GroupCommitStats>? _onCommit;
    private readonly Action<Exception>? _onFailure;
    private GroupCommitter? _committer;

    /// <param name="settings">Where the database is and how the writer groups work.</param>
    /// <param name="time">The clock of commit times and leases.</param>
    /// <param name="onCommit">Told about every group commit (logs, metrics).</param>
    /// <param name="onFailure">Told about every failed transaction.</param>
    public ReportingStore(StoreSettings settings, TimeProvider time, Action<GroupCommitStats>? onCommit = null, Action<Exception>? onFailure = null)
    {
        _settings = settings;
        _time = time;
        _onCommit = onCommit;
        _onFailure = onFailure;
        Dialect = StoreDialect.For(settings);
        Relay = new RelayOutcomeWriter(this);
        Reports = new TlsReportStore(this);
        Keys = new ApiKeyStore(this);
        Retention = new RetentionSweeper(this);
        Leases = new LeaseStore(this);
        Outbound = new Outbound.OutboundReportStore(this);
        Policies = new Policies.PolicyStore(this);
    }

    /// <summary>The engine and what differs on it.</summary>
    public StoreDialect Dialect { get; }

    /// <summary>How the writer has fared.</summary>
    public CommitHealth Health { get; } = new();

    /// <summary>Relay outcomes.</summary>
    public RelayOutcomeWriter Relay { get; }

    /// <summary>Inbound reports and refusals.</summary>
    public TlsReportStore Reports { get; }

    /// <summary>API keys.</summary>
    public ApiKeyStore Keys { get; }

    /// <summary>Retention steps.</summary>
    public RetentionSweeper Retention { get; }

    /// <summary>Jobs held by one instance at a time.</summary>
    public LeaseStore Leases { get; }

    /// <summary>Outbound reports: built, delivered, retried.</summary>
    public Outbound.OutboundReportStore Outbound { get; }

    /// <summary>Our own MTA-STS policies: their versions, and which one is served.</summary>
    public Policies.PolicyStore Policies { get; }

    /// <summary>True once the writer runs.</summary>
    public bool IsOpen => _committer is not null;

    /// <summary>Creates what is missing (SQLite: the folder and file) and applies pending migrations.</summary>
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await Dialect.PrepareAsync(cancellationToken);
        await using var migrationLock = await Dialect.LockMigrationsAsync(cancellationToken);
        await using var context = CreateContext();
        await context.Database.MigrateAsync(cancellationToken);
    }

    /// <summary>Starts the writer. Migrations must have been applied.</summary>
    public void Open()
    {
        _committer ??= new GroupCommitter(Dialect, _time, _settings.QueueCapacity, _settings.MaxGroupUnits, Health, _onCommit, _onFailure);
    }

    /// <summary>Runs a unit of work through the writer; completes once it is committed.</summary>
    /// <exception cref="StoreUnavailableException">Nothing of the unit was stored.</exception>
    /// <exception cref="ObjectDisposedException">The store is closing.</exception>
    public Task<T> WriteAsync<T>(WriteUnit<T> unit, CancellationToken cancellationToken)
    {
        var committer = _committer ?? throw new InvalidOperationException("The store is not open.");
        return committer.WriteAsync(unit, cancellationToken);
    }

    /// <summary>A connection for reading (the caller disposes it).</summary>
    public Task<DbConnection> OpenReaderAsync(CancellationToken cancellationToken) => Dialect.OpenAsync(writer: false, cancellationToken);

    /// <summary>An EF context on the database (migrations, tools and tests that read rows).</summary>
    public ReportingDbContext CreateContext() =>
        new((DbContextOptions<ReportingDbContext>)Dialect.Configure(new DbContextOptionsBuilder<ReportingDbContext>()).Options);

    /// <summary>Null when the database answers a read and the last commit went through; otherwise why not.</summary>
    public async Task<string?> ProblemAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await OpenReaderAsync(cancellationToken);
            await using var command = Statement.Query(connection, "SELECT COUNT(*) FROM \"__EFMigrationsHistory\"");
            await command.ExecuteScalarAsync(cancellationToken);
        }
        catch (DbException ex)
        {
            return "The database does not answer: " + ex.Message;
        }

        return Health.LastError is { } error ? "The last commit failed: " + error : null;
    }

    /// <summary>Commits every unit already queued, then closes the writer and the connections.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_committer is not null)
        {
            await _committer.DisposeAsync();
            _committer = null;
        }

        await Dialect.DisposeAsync();
    }
}
