using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MtaStsReporting.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class InitialRelayOutcomes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "daily_failure_details",
                columns: table => new
                {
                    day = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    policy_domain = table.Column<string>(type: "TEXT", nullable: false),
                    policy_key = table.Column<string>(type: "TEXT", nullable: false),
                    detail_key = table.Column<string>(type: "TEXT", nullable: false),
                    result_type = table.Column<string>(type: "TEXT", nullable: false),
                    sending_mta_ip = table.Column<string>(type: "TEXT", nullable: true),
                    receiving_mx_hostname = table.Column<string>(type: "TEXT", nullable: true),
                    receiving_mx_helo = table.Column<string>(type: "TEXT", nullable: true),
                    receiving_ip = table.Column<string>(type: "TEXT", nullable: true),
                    failure_reason_code = table.Column<string>(type: "TEXT", nullable: true),
                    additional_information = table.Column<string>(type: "TEXT", nullable: true),
                    failed_session_count = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_daily_failure_details", x => new { x.day, x.policy_domain, x.policy_key, x.detail_key });
                });

            migrationBuilder.CreateTable(
                name: "daily_policy_counts",
                columns: table => new
                {
                    day = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    policy_domain = table.Column<string>(type: "TEXT", nullable: false),
                    policy_key = table.Column<string>(type: "TEXT", nullable: false),
                    success_count = table.Column<long>(type: "INTEGER", nullable: false),
                    failure_count = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_daily_policy_counts", x => new { x.day, x.policy_domain, x.policy_key });
                });

            migrationBuilder.CreateTable(
                name: "policies",
                columns: table => new
                {
                    policy_key = table.Column<string>(type: "TEXT", nullable: false),
                    policy_type = table.Column<string>(type: "TEXT", nullable: false),
                    policy_strings = table.Column<string>(type: "TEXT", nullable: false),
                    mx_hosts = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_policies", x => x.policy_key);
                });

            migrationBuilder.CreateTable(
                name: "policy_fetch_days",
                columns: table => new
                {
                    day = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    policy_domain = table.Column<string>(type: "TEXT", nullable: false),
                    outcome_key = table.Column<string>(type: "TEXT", nullable: false),
                    result = table.Column<string>(type: "TEXT", nullable: false),
                    txt_id = table.Column<string>(type: "TEXT", nullable: true),
                    mode = table.Column<string>(type: "TEXT", nullable: true),
                    max_age = table.Column<long>(type: "INTEGER", nullable: true),
                    mx_patterns = table.Column<string>(type: "TEXT", nullable: true),
                    policy_text = table.Column<string>(type: "TEXT", nullable: true),
                    http_status = table.Column<int>(type: "INTEGER", nullable: true),
                    failure_reason = table.Column<string>(type: "TEXT", nullable: true),
                    first_seen = table.Column<long>(type: "INTEGER", nullable: false),
                    last_seen = table.Column<long>(type: "INTEGER", nullable: false),
                    fetch_count = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_policy_fetch_days", x => new { x.day, x.policy_domain, x.outcome_key });
                });

            migrationBuilder.CreateTable(
                name: "relay_batches",
                columns: table => new
                {
                    batch_id = table.Column<string>(type: "TEXT", nullable: false),
                    committed_at = table.Column<long>(type: "INTEGER", nullable: false),
                    session_count = table.Column<long>(type: "INTEGER", nullable: false),
                    fetch_count = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_relay_batches", x => x.batch_id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_daily_failure_details_policy_domain_day",
                table: "daily_failure_details",
                columns: new[] { "policy_domain", "day" });

            migrationBuilder.CreateIndex(
                name: "IX_daily_policy_counts_policy_domain_day",
                table: "daily_policy_counts",
                columns: new[] { "policy_domain", "day" });

            migrationBuilder.CreateIndex(
                name: "IX_policy_fetch_days_policy_domain_day",
                table: "policy_fetch_days",
                columns: new[] { "policy_domain", "day" });

            migrationBuilder.CreateIndex(
                name: "IX_relay_batches_committed_at",
                table: "relay_batches",
                column: "committed_at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "daily_failure_details");

            migrationBuilder.DropTable(
                name: "daily_policy_counts");

            migrationBuilder.DropTable(
                name: "policies");

            migrationBuilder.DropTable(
                name: "policy_fetch_days");

            migrationBuilder.DropTable(
                name: "relay_batches");
        }
    }
}
