using Microsoft.EntityFrameworkCore.Design;
using MtaStsReporting.Persistence;
using MtaStsReporting.Persistence.Store;

namespace MtaStsReporting.Migrations.PostgreSql;

/// <summary>
/// Lets <c>dotnet ef migrations add</c> build the context on PostgreSQL without a server; the
/// connection string (first argument) is only used by commands such as <c>dotnet ef database update</c>.
/// </summary>
public sealed class DesignTimeContextFactory : IDesignTimeDbContextFactory<ReportingDbContext>
{
    /// <inheritdoc />
    public ReportingDbContext CreateDbContext(string[] args) =>
        new ReportingStore(new StoreSettings(StoreProvider.PostgreSql, args.FirstOrDefault() ?? "Host=127.0.0.1;Database=mtasts_reporting"), TimeProvider.System).CreateContext();
}
