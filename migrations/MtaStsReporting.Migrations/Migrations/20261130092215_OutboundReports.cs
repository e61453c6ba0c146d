using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MtaStsReporting.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class OutboundReports : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "outbound_attempts",
                columns: table => new
                {
                    report_id = table.Column<string>(type: "TEXT", nullable: false),
                    destination = table.Column<string>(type: "TEXT", nullable: false),
                    attempt = table.Column<int>(type: "INTEGER", nullable: false),
                    sent_to = table.Column<string>(type: "TEXT", nullable: false),
                    started_at = table.Column<long>(type: "INTEGER", nullable: false),
                    finished_at = table.Column<long>(type: "INTEGER", nullable: true),
                    outcome = table.Column<string>(type: "TEXT", nullable: false),
                    answer = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_outbound_attempts", x => new { x.report_id, x.destination, x.attempt });
                });

            migrationBuilder.CreateTable(
                name: "outbound_days",
                columns: table => new
                {
                    day = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    policy_domain = table.Column<string>(type: "TEXT", nullable: false),
                    outcome = table.Column<string>(type: "TEXT", nullable: false),
                    detail = table.Column<string>(type: "TEXT", nullable: true),
                    report_id = table.Column<string>(type: "TEXT", nullable: true),
                    decided_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_outbound_days", x => new { x.day, x.policy_domain });
                });

            migrationBuilder.CreateTable(
                name: "outbound_deliveries",
                columns: table => new
                {
                    report_id = table.Column<string>(type: "TEXT", nullable: false),
                    destination = table.Column<string>(type: "TEXT", nullable: false),
                    day = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    policy_domain = table.Column<string>(type: "TEXT", nullable: false),
                    state = table.Column<string>(type: "TEXT", nullable: false),
                    attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    first_attempt_at = table.Column<long>(type: "INTEGER", nullable: false),
                    next_attempt_at = table.Column<long>(type: "INTEGER", nullable: false),
                    last_answer = table.Column<string>(type: "TEXT", nullable: true),
                    holder = table.Column<string>(type: "TEXT", nullable: true),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_outbound_deliveries", x => new { x.report_id, x.destination });
                });

            migrationBuilder.CreateTable(
                name: "outbound_destinations",
                columns: table => new
                {
                    destination = table.Column<string>(type: "TEXT", nullable: false),
                    failed_reports_in_row = table.Column<int>(type: "INTEGER", nullable: false),
                    suppressed_until = table.Column<long>(type: "INTEGER", nullable: true),
                    last_failure_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_outbound_destinations", x => x.destination);
                });

            migrationBuilder.CreateTable(
                name: "outbound_reports",
                columns: table => new
                {
                    report_id = table.Column<string>(type: "TEXT", nullable: false),
                    day = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    policy_domain = table.Column<string>(type: "TEXT", nullable: false),
                    destinations = table.Column<string>(type: "TEXT", nullable: false),
                    json = table.Column<string>(type: "TEXT", nullable: false),
                    sessions = table.Column<long>(type: "INTEGER", nullable: false),
                    failures = table.Column<long>(type: "INTEGER", nullable: false),
                    built_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_outbound_reports", x => x.report_id);
                });

            migrationBuilder.CreateTable(
                name: "outbound_settings",
                columns: table => new
                {
                    name = table.Column<string>(type: "TEXT", nullable: false),
                    value = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_outbound_settings", x => x.name);
                });

            migrationBuilder.CreateIndex(
                name: "IX_outbound_deliveries_day_policy_domain",
                table: "outbound_deliveries",
                columns: new[] { "day", "policy_domain" });

            migrationBuilder.CreateIndex(
                name: "IX_outbound_deliveries_state_next_attempt_at",
                table: "outbound_deliveries",
                columns: new[] { "state", "next_attempt_at" });

            migrationBuilder.CreateIndex(
                name: "IX_outbound_reports_day_policy_domain",
                table: "outbound_reports",
                columns: new[] { "day", "policy_domain" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "outbound_attempts");

            migrationBuilder.DropTable(
                name: "outbound_days");

            migrationBuilder.DropTable(
                name: "outbound_deliveries");

            migrationBuilder.DropTable(
                name: "outbound_destinations");

            migrationBuilder.DropTable(
                name: "outbound_reports");

            migrationBuilder.DropTable(
                name: "outbound_settings");
        }
    }
}
