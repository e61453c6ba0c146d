using Microsoft.EntityFrameworkCore.Design;
using MtaStsReporting.Persistence;
using MtaStsReporting.Persistence.Store;

namespace MtaStsReporting.Migrations;

/// <summary>
/// Lets <c>dotnet ef migrations add</c> build the context on SQLite without starting the daemon.
/// The database it names is only used by commands such as <c>dotnet ef database update</c>.
/// </summary>
public sealed class DesignTimeContextFactory : IDesignTimeDbContextFactory<ReportingDbContext>
{
    /// <inheritdoc />
    public ReportingDbContext CreateDbContext(string[] args) =>
        new ReportingStore(StoreSettings.SqliteFile(args.FirstOrDefault() ?? "design-time.db"), TimeProvider.System).CreateContext();
}
