using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MtaStsReporting.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class InboundReports : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "tlsrpt_rejections",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    source_kind = table.Column<string>(type: "TEXT", nullable: false),
                    source_name = table.Column<string>(type: "TEXT", nullable: false),
                    message_id = table.Column<string>(type: "TEXT", nullable: true),
                    status = table.Column<string>(type: "TEXT", nullable: false),
                    reason = table.Column<string>(type: "TEXT", nullable: false),
                    rejected_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_tlsrpt_rejections", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "tlsrpt_reports",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    organization_name = table.Column<string>(type: "TEXT", nullable: false),
                    report_id = table.Column<string>(type: "TEXT", nullable: false),
                    start_datetime = table.Column<long>(type: "INTEGER", nullable: false),
                    end_datetime = table.Column<long>(type: "INTEGER", nullable: false),
                    contact_info = table.Column<string>(type: "TEXT", nullable: true),
                    flags = table.Column<string>(type: "TEXT", nullable: false),
                    success_count = table.Column<long>(type: "INTEGER", nullable: false),
                    failure_count = table.Column<long>(type: "INTEGER", nullable: false),
                    source_kind = table.Column<string>(type: "TEXT", nullable: false),
                    source_name = table.Column<string>(type: "TEXT", nullable: false),
                    message_id = table.Column<string>(type: "TEXT", nullable: true),
                    dkim_result = table.Column<string>(type: "TEXT", nullable: false),
                    dkim_domain = table.Column<string>(type: "TEXT", nullable: true),
                    received_at = table.Column<long>(type: "INTEGER", nullable: false),
                    original_media_type = table.Column<string>(type: "TEXT", nullable: false),
                    original = table.Column<byte[]>(type: "BLOB", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_tlsrpt_reports", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "tlsrpt_report_policies",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    tls_report_id = table.Column<long>(type: "INTEGER", nullable: false),
                    position = table.Column<int>(type: "INTEGER", nullable: false),
                    policy_type = table.Column<string>(type: "TEXT", nullable: false),
                    policy_strings = table.Column<string>(type: "TEXT", nullable: false),
                    policy_domain = table.Column<string>(type: "TEXT", nullable: true),
                    mx_hosts = table.Column<string>(type: "TEXT", nullable: false),
                    success_count = table.Column<long>(type: "INTEGER", nullable: false),
                    failure_count = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_tlsrpt_report_policies", x => x.id);
                    table.ForeignKey(
                        name: "FK_tlsrpt_report_policies_tlsrpt_reports_tls_report_id",
                        column: x => x.tls_report_id,
                        principalTable: "tlsrpt_reports",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "tlsrpt_failure_details",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    tls_report_policy_id = table.Column<long>(type: "INTEGER", nullable: false),
                    result_type = table.Column<string>(type: "TEXT", nullable: false),
                    sending_mta_ip = table.Column<string>(type: "TEXT", nullable: true),
                    receiving_mx_hostname = table.Column<string>(type: "TEXT", nullable: true),
                    receiving_mx_helo = table.Column<string>(type: "TEXT", nullable: true),
                    receiving_ip = table.Column<string>(type: "TEXT", nullable: true),
                    failed_session_count = table.Column<long>(type: "INTEGER", nullable: false),
                    additional_information = table.Column<string>(type: "TEXT", nullable: true),
                    failure_reason_code = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_tlsrpt_failure_details", x => x.id);
                    table.ForeignKey(
                        name: "FK_tlsrpt_failure_details_tlsrpt_report_policies_tls_report_policy_id",
                        column: x => x.tls_report_policy_id,
                        principalTable: "tlsrpt_report_policies",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_tlsrpt_failure_details_tls_report_policy_id",
                table: "tlsrpt_failure_details",
                column: "tls_report_policy_id");

            migrationBuilder.CreateIndex(
                name: "IX_tlsrpt_rejections_rejected_at",
                table: "tlsrpt_rejections",
                column: "rejected_at");

            migrationBuilder.CreateIndex(
                name: "IX_tlsrpt_report_policies_policy_domain",
                table: "tlsrpt_report_policies",
                column: "policy_domain");

            migrationBuilder.CreateIndex(
                name: "IX_tlsrpt_report_policies_tls_report_id",
                table: "tlsrpt_report_policies",
                column: "tls_report_id");

            migrationBuilder.CreateIndex(
                name: "IX_tlsrpt_reports_organization_name_report_id_start_datetime_end_datetime",
                table: "tlsrpt_reports",
                columns: new[] { "organization_name", "report_id", "start_datetime", "end_datetime" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_tlsrpt_reports_start_datetime",
                table: "tlsrpt_reports",
                column: "start_datetime");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "tlsrpt_failure_details");

            migrationBuilder.DropTable(
                name: "tlsrpt_rejections");

            migrationBuilder.DropTable(
                name: "tlsrpt_report_policies");

            migrationBuilder.DropTable(
                name: "tlsrpt_reports");
        }
    }
}
