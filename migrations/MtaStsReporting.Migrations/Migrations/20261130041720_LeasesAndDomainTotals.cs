using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MtaStsReporting.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class LeasesAndDomainTotals : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "domain_days",
                columns: table => new
                {
                    direction = table.Column<int>(type: "INTEGER", nullable: false),
                    day = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    policy_domain = table.Column<string>(type: "TEXT", nullable: false),
                    sessions = table.Column<long>(type: "INTEGER", nullable: false),
                    failures = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_domain_days", x => new { x.direction, x.day, x.policy_domain });
                });

            migrationBuilder.CreateTable(
                name: "domain_weeks",
                columns: table => new
                {
                    direction = table.Column<int>(type: "INTEGER", nullable: false),
                    week = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    policy_domain = table.Column<string>(type: "TEXT", nullable: false),
                    sessions = table.Column<long>(type: "INTEGER", nullable: false),
                    failures = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_domain_weeks", x => new { x.direction, x.week, x.policy_domain });
                });

            migrationBuilder.CreateTable(
                name: "leases",
                columns: table => new
                {
                    name = table.Column<string>(type: "TEXT", nullable: false),
                    holder = table.Column<string>(type: "TEXT", nullable: false),
                    expires_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_leases", x => x.name);
                });

            // Totals of the data already stored, so that the domain list reads the same figures as before.
            migrationBuilder.Sql(
                """
                INSERT INTO domain_days (direction, day, policy_domain, sessions, failures)
                SELECT 1, day, policy_domain, SUM(success_count + failure_count), SUM(failure_count) FROM daily_policy_counts GROUP BY day, policy_domain;
                INSERT INTO domain_days (direction, day, policy_domain, sessions, failures)
                SELECT 2, day, policy_domain, SUM(success_count + failure_count), SUM(failure_count) FROM inbound_daily_counts GROUP BY day, policy_domain;
                INSERT INTO domain_weeks (direction, week, policy_domain, sessions, failures)
                SELECT direction, date(day, '-' || ((CAST(strftime('%w', day) AS INTEGER) + 6) % 7) || ' days'), policy_domain, SUM(sessions), SUM(failures)
                FROM domain_days GROUP BY 1, 2, 3;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "domain_days");

            migrationBuilder.DropTable(
                name: "domain_weeks");

            migrationBuilder.DropTable(
                name: "leases");
        }
    }
}
