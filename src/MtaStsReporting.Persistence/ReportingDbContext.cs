using System.Text;
using Microsoft.EntityFrameworkCore;
using MtaStsReporting.Persistence.Schema;

namespace MtaStsReporting.Persistence;

/// <summary>The store's schema. Migrations live in the MtaStsReporting.Migrations assembly.</summary>
public sealed class ReportingDbContext(DbContextOptions<ReportingDbContext> options) : DbContext(options)
{
    /// <summary>The assembly that holds the migrations (top-level <c>migrations/</c>).</summary>
    public const string MigrationsAssembly = "MtaStsReporting.Migrations";

    /// <summary>Distinct applied policies.</summary>
    public DbSet<PolicyRow> Policies => Set<PolicyRow>();

    /// <summary>Per-day session counts.</summary>
    public DbSet<DailyPolicyCountRow> DailyPolicyCounts => Set<DailyPolicyCountRow>();

    /// <summary>Per-day failure details.</summary>
    public DbSet<DailyFailureDetailRow> DailyFailureDetails => Set<DailyFailureDetailRow>();

    /// <summary>Per-day policy fetch outcomes.</summary>
    public DbSet<PolicyFetchDayRow> PolicyFetchDays => Set<PolicyFetchDayRow>();

    /// <summary>Committed relay batch ids.</summary>
    public DbSet<RelayBatchRow> RelayBatches => Set<RelayBatchRow>();

    /// <summary>Inbound reports.</summary>
    public DbSet<TlsReportRow> TlsReports => Set<TlsReportRow>();

    /// <summary>Their policies.</summary>
    public DbSet<TlsReportPolicyRow> TlsReportPolicies => Set<TlsReportPolicyRow>();

    /// <summary>Their failure details.</summary>
    public DbSet<TlsReportFailureRow> TlsReportFailures => Set<TlsReportFailureRow>();

    /// <summary>Inbound reports per day.</summary>
    public DbSet<InboundDailyCountRow> InboundDailyCounts => Set<InboundDailyCountRow>();

    /// <summary>Inbound failure details per day.</summary>
    public DbSet<InboundDailyFailureRow> InboundDailyFailures => Set<InboundDailyFailureRow>();

    /// <summary>Our own policies' versions.</summary>
    public DbSet<PolicyVersionRow> PolicyVersions => Set<PolicyVersionRow>();

    /// <summary>The version of each of our own policies served now.</summary>
    public DbSet<HostedPolicyRow> HostedPolicies => Set<HostedPolicyRow>();

    /// <summary>API keys.</summary>
    public DbSet<ApiKeyRow> ApiKeys => Set<ApiKeyRow>();

    /// <summary>Per-domain totals per day, both directions.</summary>
    public DbSet<DomainDayRow> DomainDays => Set<DomainDayRow>();

    /// <summary>Per-domain totals per week, both directions.</summary>
    public DbSet<DomainWeekRow> DomainWeeks => Set<DomainWeekRow>();

    /// <summary>Jobs held by one instance at a time.</summary>
    public DbSet<LeaseRow> Leases => Set<LeaseRow>();

    /// <summary>TLSRPT records seen by relays, per recipient domain and day.</summary>
    public DbSet<TlsRptRecordDayRow> TlsRptRecordDays => Set<TlsRptRecordDayRow>();

    /// <summary>Outbound report decisions per day and domain.</summary>
    public DbSet<OutboundDayRow> OutboundDays => Set<OutboundDayRow>();

    /// <summary>Outbound reports built.</summary>
    public DbSet<OutboundReportRow> OutboundReports => Set<OutboundReportRow>();

    /// <summary>Outbound deliveries, per report and destination.</summary>
    public DbSet<OutboundDeliveryRow> OutboundDeliveries => Set<OutboundDeliveryRow>();

    /// <summary>Outbound delivery attempts.</summary>
    public DbSet<OutboundAttemptRow> OutboundAttempts => Set<OutboundAttemptRow>();

    /// <summary>Outbound destinations' record.</summary>
    public DbSet<OutboundDestinationRow> OutboundDestinations => Set<OutboundDestinationRow>();

    /// <summary>Outbound operator switches.</summary>
    public DbSet<OutboundSettingRow> OutboundSettings => Set<OutboundSettingRow>();

    /// <summary>Refused inbound input.</summary>
    public DbSet<ReportRejectionRow> ReportRejections => Set<ReportRejectionRow>();

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<TlsReportRow>(e =>
        {
            e.ToTable("tlsrpt_reports");
            e.HasIndex(x => x.ReceivedAt);
            // RFC 8460 has no global id: organisation + report-id + range identify a report.
            e.HasIndex(x => new { x.OrganizationName, x.ReportId, x.StartDatetime, x.EndDatetime }).IsUnique();
            e.HasIndex(x => x.StartDatetime);
            e.Property(x => x.StartDatetime).HasConversion(UnixMs.Converter);
            e.Property(x => x.EndDatetime).HasConversion(UnixMs.Converter);
            e.Property(x => x.ReceivedAt).HasConversion(UnixMs.Converter);
            e.HasMany(x => x.Policies).WithOne().HasForeignKey(x => x.TlsReportId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<TlsReportPolicyRow>(e =>
        {
            e.ToTable("tlsrpt_report_policies");
            e.HasIndex(x => x.PolicyDomain);
            e.HasMany(x => x.FailureDetails).WithOne().HasForeignKey(x => x.TlsReportPolicyId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<TlsReportFailureRow>(e => e.ToTable("tlsrpt_failure_details"));

        modelBuilder.Entity<ApiKeyRow>(e =>
        {
            e.ToTable("api_keys");
            e.HasKey(x => x.Id);
            e.Property(x => x.CreatedAt).HasConversion(UnixMs.Converter);
            e.Property(x => x.RevokedAt).HasConversion(UnixMs.NullableConverter);
        });

        modelBuilder.Entity<PolicyVersionRow>(e =>
        {
            e.ToTable("policy_versions");
            e.HasKey(x => new { x.Domain, x.Version });
            e.Property(x => x.CreatedAt).HasConversion(UnixMs.Converter);
            e.Property(x => x.UpdatedAt).HasConversion(UnixMs.Converter);
        });

        modelBuilder.Entity<HostedPolicyRow>(e =>
        {
            e.ToTable("hosted_policies");
            e.HasKey(x => x.Domain);
        });

        modelBuilder.Entity<InboundDailyCountRow>(e =>
        {
            e.ToTable("inbound_daily_counts");
            e.HasKey(x => new { x.Day, x.PolicyDomain, x.OrganizationName, x.PolicyKey });
            e.HasIndex(x => new { x.PolicyDomain, x.Day });
        });

        modelBuilder.Entity<InboundDailyFailureRow>(e =>
        {
            e.ToTable("inbound_daily_failures");
            e.HasKey(x => new { x.Day, x.PolicyDomain, x.OrganizationName, x.PolicyKey, x.DetailKey });
            e.HasIndex(x => new { x.PolicyDomain, x.Day });
        });

        modelBuilder.Entity<ReportRejectionRow>(e =>
        {
            e.ToTable("tlsrpt_rejections");
            e.Property(x => x.RejectedAt).HasConversion(UnixMs.Converter);
            e.HasIndex(x => x.RejectedAt);
        });

        // The domain list reads a range of days for every domain: whole weeks from
        // domain_weeks and the edge days from domain_days, by direction and period first.
        modelBuilder.Entity<DomainDayRow>(e =>
        {
            e.ToTable("domain_days");
            e.HasKey(x => new { x.Direction, x.Day, x.PolicyDomain });
        });

        modelBuilder.Entity<DomainWeekRow>(e =>
        {
            e.ToTable("domain_weeks");
            e.HasKey(x => new { x.Direction, x.Week, x.PolicyDomain });
        });

        modelBuilder.Entity<TlsRptRecordDayRow>(e =>
        {
            e.ToTable("tlsrpt_record_days");
            e.HasKey(x => new { x.Day, x.RecipientDomain });
        });

        modelBuilder.Entity<OutboundDayRow>(e =>
        {
            e.ToTable("outbound_days");
            e.HasKey(x => new { x.Day, x.PolicyDomain });
            e.Property(x => x.DecidedAt).HasConversion(UnixMs.Converter);
        });

        modelBuilder.Entity<OutboundReportRow>(e =>
        {
            e.ToTable("outbound_reports");
            e.HasKey(x => x.ReportId);
            e.HasIndex(x => new { x.Day, x.PolicyDomain });
            e.Property(x => x.BuiltAt).HasConversion(UnixMs.Converter);
        });

        // The sender reads what is due (state, next attempt); admins list by day and domain.
        modelBuilder.Entity<OutboundDeliveryRow>(e =>
        {
            e.ToTable("outbound_deliveries");
            e.HasKey(x => new { x.ReportId, x.Destination });
            e.HasIndex(x => new { x.State, x.NextAttemptAt });
            e.HasIndex(x => new { x.Day, x.PolicyDomain });
            e.Property(x => x.FirstAttemptAt).HasConversion(UnixMs.Converter);
            e.Property(x => x.NextAttemptAt).HasConversion(UnixMs.Converter);
            e.Property(x => x.UpdatedAt).HasConversion(UnixMs.Converter);
        });

        modelBuilder.Entity<OutboundAttemptRow>(e =>
        {
            e.ToTable("outbound_attempts");
            e.HasKey(x => new { x.ReportId, x.Destination, x.Attempt });
            e.Property(x => x.StartedAt).HasConversion(UnixMs.Converter);
            e.Property(x => x.FinishedAt).HasConversion(UnixMs.NullableConverter);
        });

        modelBuilder.Entity<OutboundDestinationRow>(e =>
        {
            e.ToTable("outbound_destinations");
            e.HasKey(x => x.Destination);
            e.Property(x => x.SuppressedUntil).HasConversion(UnixMs.NullableConverter);
            e.Property(x => x.LastFailureAt).HasConversion(UnixMs.NullableConverter);
        });

        modelBuilder.Entity<OutboundSettingRow>(e =>
        {
            e.ToTable("outbound_settings");
            e.HasKey(x => x.Name);
        });

        modelBuilder.Entity<LeaseRow>(e =>
        {
            e.ToTable("leases");
            e.HasKey(x => x.Name);
            e.Property(x => x.ExpiresAt).HasConversion(UnixMs.Converter);
        });

        modelBuilder.Entity<PolicyRow>(e =>
        {
            e.ToTable("policies");
            e.HasKey(x => x.PolicyKey);
        });

        modelBuilder.Entity<DailyPolicyCountRow>(e =>
        {
            e.ToTable("daily_policy_counts");
            e.HasKey(x => new { x.Day, x.PolicyDomain, x.PolicyKey });
            // Queries are per domain over a range of days (the domain list reads domain_days and domain_weeks).
            e.HasIndex(x => new { x.PolicyDomain, x.Day });
        });

        modelBuilder.Entity<DailyFailureDetailRow>(e =>
        {
            e.ToTable("daily_failure_details");
            e.HasKey(x => new { x.Day, x.PolicyDomain, x.PolicyKey, x.DetailKey });
            e.HasIndex(x => new { x.PolicyDomain, x.Day });
        });

        modelBuilder.Entity<PolicyFetchDayRow>(e =>
        {
            e.ToTable("policy_fetch_days");
            e.HasKey(x => new { x.Day, x.PolicyDomain, x.OutcomeKey });
            e.HasIndex(x => new { x.PolicyDomain, x.Day });
            e.Property(x => x.FirstSeen).HasConversion(UnixMs.Converter);
            e.Property(x => x.LastSeen).HasConversion(UnixMs.Converter);
        });

        modelBuilder.Entity<RelayBatchRow>(e =>
        {
            e.ToTable("relay_batches");
            e.HasKey(x => x.BatchId);
            e.Property(x => x.CommittedAt).HasConversion(UnixMs.Converter);
            // Retention (later) removes old ids by age.
            e.HasIndex(x => x.CommittedAt);
        });

        // snake_case columns, so that hand-written SQL on the hot path reads naturally and
        // ports to PostgreSQL without quoting.
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                property.SetColumnName(SnakeCase(property.Name));
            }
        }
    }

    private static string SnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                sb.Append('_');
            }

            sb.Append(char.ToLowerInvariant(name[i]));
        }

        return sb.ToString();
    }
}

/// <summary>Instants are stored as Unix milliseconds (UTC): sortable and compact in SQLite.</summary>
internal static class UnixMs
{
    public static readonly Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<DateTimeOffset, long> Converter =
        new(v => v.ToUnixTimeMilliseconds(), v => DateTimeOffset.FromUnixTimeMilliseconds(v));

    public static readonly Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<DateTimeOffset?, long?> NullableConverter =
        new(v => v.HasValue ? v.Value.ToUnixTimeMilliseconds() : null, v => v.HasValue ? DateTimeOffset.FromUnixTimeMilliseconds(v.Value) : null);
}
