using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MtaStsReporting.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class LeasesAndDomainListIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
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

            migrationBuilder.CreateIndex(
                name: "IX_inbound_daily_counts_day_policy_domain_success_count_failure_count",
                table: "inbound_daily_counts",
                columns: new[] { "day", "policy_domain", "success_count", "failure_count" });

            migrationBuilder.CreateIndex(
                name: "IX_daily_policy_counts_day_policy_domain_success_count_failure_count",
                table: "daily_policy_counts",
                columns: new[] { "day", "policy_domain", "success_count", "failure_count" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "leases");

            migrationBuilder.DropIndex(
                name: "IX_inbound_daily_counts_day_policy_domain_success_count_failure_count",
                table: "inbound_daily_counts");

            migrationBuilder.DropIndex(
                name: "IX_daily_policy_counts_day_policy_domain_success_count_failure_count",
                table: "daily_policy_counts");
        }
    }
}
