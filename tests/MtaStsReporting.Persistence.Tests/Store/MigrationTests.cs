using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using MtaStsReporting.Persistence.Store;

namespace MtaStsReporting.Persistence.Tests.Store;

/// <summary>A store made before the domain totals existed gets them from its data when it is migrated.</summary>
public sealed class MigrationTests
{
    [Fact]
    public async Task The_domain_totals_of_data_stored_before_them_are_filled_in_by_the_migration()
    {
        var directory = Path.Combine(Path.GetTempPath(), "mtasts-migration-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var store = new ReportingStore(StoreSettings.SqliteFile(Path.Combine(directory, "old.db")), TimeProvider.System);
            await store.Dialect.PrepareAsync(CancellationToken.None);
            await using (var db = store.CreateContext())
            {
                await db.GetService<IMigrator>().MigrateAsync("ApiKeys");
                // 2026-11-29 is a Sunday, 2026-11-30 a Monday: two weeks.
                await db.Database.ExecuteSqlRawAsync(
                    """
                    INSERT INTO daily_policy_counts (day, policy_domain, policy_key, success_count, failure_count) VALUES
                      ('2026-11-29', 'a.example', 'p1', 10, 1), ('2026-11-29', 'a.example', 'p2', 5, 0), ('2026-11-30', 'a.example', 'p1', 7, 2);
                    INSERT INTO inbound_daily_counts (day, policy_domain, organization_name, policy_key, success_count, failure_count, report_count) VALUES
                      ('2026-11-27', 'a.example', 'R', 'p1', 100, 3, 1), ('2026-11-28', 'a.example', 'S', 'p1', 50, 0, 1);
                    """);
            }

            await store.MigrateAsync(CancellationToken.None);

            await using var after = store.CreateContext();
            var days = await after.DomainDays.AsNoTracking().OrderBy(d => d.Direction).ThenBy(d => d.Day).Select(d => new { d.Direction, d.Day, d.Sessions, d.Failures }).ToListAsync();
            Assert.Equal(
                [(1, new DateOnly(2026, 11, 29), 16L, 1L), (1, new DateOnly(2026, 11, 30), 9L, 2L), (2, new DateOnly(2026, 11, 27), 103L, 3L), (2, new DateOnly(2026, 11, 28), 50L, 0L)],
                days.Select(d => (d.Direction, d.Day, d.Sessions, d.Failures)));
            var weeks = await after.DomainWeeks.AsNoTracking().OrderBy(d => d.Direction).ThenBy(d => d.Week).Select(d => new { d.Direction, d.Week, d.Sessions, d.Failures }).ToListAsync();
            Assert.Equal(
                [(1, new DateOnly(2026, 11, 23), 16L, 1L), (1, new DateOnly(2026, 11, 30), 9L, 2L), (2, new DateOnly(2026, 11, 23), 153L, 3L)],
                weeks.Select(d => (d.Direction, d.Week, d.Sessions, d.Failures)));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}
