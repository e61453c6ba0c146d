using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MtaStsReporting.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class QueryRollups : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "mode",
                table: "policies",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "inbound_daily_counts",
                columns: table => new
                {
                    day = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    policy_domain = table.Column<string>(type: "TEXT", nullable: false),
                    organization_name = table.Column<string>(type: "TEXT", nullable: false),
                    policy_key = table.Column<string>(type: "TEXT", nullable: false),
                    success_count = table.Column<long>(type: "INTEGER", nullable: false),
                    failure_count = table.Column<long>(type: "INTEGER", nullable: false),
                    report_count = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_inbound_daily_counts", x => new { x.day, x.policy_domain, x.organization_name, x.policy_key });
                });

            migrationBuilder.CreateTable(
                name: "inbound_daily_failures",
                columns: table => new
                {
                    day = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    policy_domain = table.Column<string>(type: "TEXT", nullable: false),
                    organization_name = table.Column<string>(type: "TEXT", nullable: false),
                    policy_key = table.Column<string>(type: "TEXT", nullable: false),
                    detail_key = table.Column<string>(type: "TEXT", nullable: false),
                    result_type = table.Column<string>(type: "TEXT", nullable: false),
                    sending_mta_ip = table.Column<string>(type: "TEXT", nullable: true),
                    receiving_mx_hostname = table.Column<string>(type: "TEXT", nullable: true),
                    receiving_ip = table.Column<string>(type: "TEXT", nullable: true),
                    failed_session_count = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_inbound_daily_failures", x => new { x.day, x.policy_domain, x.organization_name, x.policy_key, x.detail_key });
                });

            migrationBuilder.CreateIndex(
                name: "IX_tlsrpt_reports_received_at",
                table: "tlsrpt_reports",
                column: "received_at");

            migrationBuilder.CreateIndex(
                name: "IX_inbound_daily_counts_policy_domain_day",
                table: "inbound_daily_counts",
                columns: new[] { "policy_domain", "day" });

            migrationBuilder.CreateIndex(
                name: "IX_inbound_daily_failures_policy_domain_day",
                table: "inbound_daily_failures",
                columns: new[] { "policy_domain", "day" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "inbound_daily_counts");

            migrationBuilder.DropTable(
                name: "inbound_daily_failures");

            migrationBuilder.DropIndex(
                name: "IX_tlsrpt_reports_received_at",
                table: "tlsrpt_reports");

            migrationBuilder.DropColumn(
                name: "mode",
                table: "policies");
        }
    }
}
