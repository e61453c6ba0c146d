using Microsoft.EntityFrameworkCore;
using MtaStsReporting.Persistence;
using MtaStsReporting.Persistence.Schema;
using MtaStsReporting.Persistence.Store;

namespace MtaStsReporting.Daemon.Tests.Support;

/// <summary>Reads the database file the way a later query would, to check what was stored.</summary>
public sealed class StoreReader(StoreSettings settings)
{
    private ReportingStore? _store;

    public StoreReader(string databasePath)
        : this(StoreSettings.SqliteFile(databasePath))
    {
    }

    public ReportingDbContext Open() => (_store ??= new ReportingStore(settings, TimeProvider.System)).CreateContext();

    public async Task<List<DailyPolicyCountRow>> CountsAsync(string? domain = null)
    {
        await using var db = Open();
        var q = db.DailyPolicyCounts.AsNoTracking();
        if (domain is not null)
        {
            q = q.Where(r => r.PolicyDomain == domain);
        }

        return await q.ToListAsync();
    }

    public async Task<List<DailyFailureDetailRow>> FailuresAsync(string domain)
    {
        await using var db = Open();
        return await db.DailyFailureDetails.AsNoTracking().Where(r => r.PolicyDomain == domain).ToListAsync();
    }

    public async Task<List<PolicyFetchDayRow>> FetchesAsync(string domain)
    {
        await using var db = Open();
        return await db.PolicyFetchDays.AsNoTracking().Where(r => r.PolicyDomain == domain).ToListAsync();
    }

    public async Task<List<RelayBatchRow>> BatchesAsync()
    {
        await using var db = Open();
        return await db.RelayBatches.AsNoTracking().ToListAsync();
    }

    public async Task<List<PolicyRow>> PoliciesAsync()
    {
        await using var db = Open();
        return await db.Policies.AsNoTracking().ToListAsync();
    }

    /// <summary>Sum of all session counts stored, success and failure.</summary>
    public async Task<long> TotalSessionsAsync()
    {
        var rows = await CountsAsync();
        return rows.Sum(r => r.SuccessCount + r.FailureCount);
    }
}
