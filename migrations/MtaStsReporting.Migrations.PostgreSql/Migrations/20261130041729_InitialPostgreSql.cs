using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace MtaStsReporting.Migrations.PostgreSql.Migrations
{
    /// <inheritdoc />
    public partial class InitialPostgreSql : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "api_keys",
                columns: table => new
                {
                    id = table.Column<string>(type: "text", nullable: false),
                    name = table.Column<string>(type: "text", nullable: false),
                    role = table.Column<int>(type: "integer", nullable: false),
                    secret_hash = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<long>(type: "bigint", nullable: false),
                    revoked_at = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_api_keys", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "daily_failure_details",
                columns: table => new
                {
                    day = table.Column<DateOnly>(type: "date", nullable: false),
                    policy_domain = table.Column<string>(type: "text", nullable: false),
                    policy_key = table.Column<string>(type: "text", nullable: false),
                    detail_key = table.Column<string>(type: "text", nullable: false),
                    result_type = table.Column<string>(type: "text", nullable: false),
                    sending_mta_ip = table.Column<string>(type: "text", nullable: true),
                    receiving_mx_hostname = table.Column<string>(type: "text", nullable: true),
                    receiving_mx_helo = table.Column<string>(type: "text", nullable: true),
                    receiving_ip = table.Column<string>(type: "text", nullable: true),
                    failure_reason_code = table.Column<string>(type: "text", nullable: true),
                    additional_information = table.Column<string>(type: "text", nullable: true),
                    failed_session_count = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_daily_failure_details", x => new { x.day, x.policy_domain, x.policy_key, x.detail_key });
                });

            migrationBuilder.CreateTable(
                name: "daily_policy_counts",
                columns: table => new
                {
                    day = table.Column<DateOnly>(type: "date", nullable: false),
                    policy_domain = table.Column<string>(type: "text", nullable: false),
                    policy_key = table.Column<string>(type: "text", nullable: false),
                    success_count = table.Column<long>(type: "bigint", nullable: false),
                    failure_count = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_daily_policy_counts", x => new { x.day, x.policy_domain, x.policy_key });
                });

            migrationBuilder.CreateTable(
                name: "domain_days",
                columns: table => new
                {
                    direction = table.Column<int>(type: "integer", nullable: false),
                    day = table.Column<DateOnly>(type: "date", nullable: false),
                    policy_domain = table.Column<string>(type: "text", nullable: false),
                    sessions = table.Column<long>(type: "bigint", nullable: false),
                    failures = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_domain_days", x => new { x.direction, x.day, x.policy_domain });
                });

            migrationBuilder.CreateTable(
                name: "domain_weeks",
                columns: table => new
                {
                    direction = table.Column<int>(type: "integer", nullable: false),
                    week = table.Column<DateOnly>(type: "date", nullable: false),
                    policy_domain = table.Column<string>(type: "text", nullable: false),
                    sessions = table.Column<long>(type: "bigint", nullable: false),
                    failures = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_domain_weeks", x => new { x.direction, x.week, x.policy_domain });
                });

            migrationBuilder.CreateTable(
                name: "inbound_daily_counts",
                columns: table => new
                {
                    day = table.Column<DateOnly>(type: "date", nullable: false),
                    policy_domain = table.Column<string>(type: "text", nullable: false),
                    organization_name = table.Column<string>(type: "text", nullable: false),
                    policy_key = table.Column<string>(type: "text", nullable: false),
                    success_count = table.Column<long>(type: "bigint", nullable: false),
                    failure_count = table.Column<long>(type: "bigint", nullable: false),
                    report_count = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_inbound_daily_counts", x => new { x.day, x.policy_domain, x.organization_name, x.policy_key });
                });

            migrationBuilder.CreateTable(
                name: "inbound_daily_failures",
                columns: table => new
                {
                    day = table.Column<DateOnly>(type: "date", nullable: false),
                    policy_domain = table.Column<string>(type: "text", nullable: false),
                    organization_name = table.Column<string>(type: "text", nullable: false),
                    policy_key = table.Column<string>(type: "text", nullable: false),
                    detail_key = table.Column<string>(type: "text", nullable: false),
                    result_type = table.Column<string>(type: "text", nullable: false),
                    sending_mta_ip = table.Column<string>(type: "text", nullable: true),
                    receiving_mx_hostname = table.Column<string>(type: "text", nullable: true),
                    receiving_ip = table.Column<string>(type: "text", nullable: true),
                    failed_session_count = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_inbound_daily_failures", x => new { x.day, x.policy_domain, x.organization_name, x.policy_key, x.detail_key });
                });

            migrationBuilder.CreateTable(
                name: "leases",
                columns: table => new
                {
                    name = table.Column<string>(type: "text", nullable: false),
                    holder = table.Column<string>(type: "text", nullable: false),
                    expires_at = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_leases", x => x.name);
                });

            migrationBuilder.CreateTable(
                name: "policies",
                columns: table => new
                {
                    policy_key = table.Column<string>(type: "text", nullable: false),
                    policy_type = table.Column<string>(type: "text", nullable: false),
                    policy_strings = table.Column<string>(type: "text", nullable: false),
                    mx_hosts = table.Column<string>(type: "text", nullable: false),
                    mode = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_policies", x => x.policy_key);
                });

            migrationBuilder.CreateTable(
                name: "policy_fetch_days",
                columns: table => new
                {
                    day = table.Column<DateOnly>(type: "date", nullable: false),
                    policy_domain = table.Column<string>(type: "text", nullable: false),
                    outcome_key = table.Column<string>(type: "text", nullable: false),
                    result = table.Column<string>(type: "text", nullable: false),
                    txt_id = table.Column<string>(type: "text", nullable: true),
                    mode = table.Column<string>(type: "text", nullable: true),
                    max_age = table.Column<long>(type: "bigint", nullable: true),
                    mx_patterns = table.Column<string>(type: "text", nullable: true),
                    policy_text = table.Column<string>(type: "text", nullable: true),
                    http_status = table.Column<int>(type: "integer", nullable: true),
                    failure_reason = table.Column<string>(type: "text", nullable: true),
                    first_seen = table.Column<long>(type: "bigint", nullable: false),
                    last_seen = table.Column<long>(type: "bigint", nullable: false),
                    fetch_count = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_policy_fetch_days", x => new { x.day, x.policy_domain, x.outcome_key });
                });

            migrationBuilder.CreateTable(
                name: "relay_batches",
                columns: table => new
                {
                    batch_id = table.Column<string>(type: "text", nullable: false),
                    committed_at = table.Column<long>(type: "bigint", nullable: false),
                    session_count = table.Column<long>(type: "bigint", nullable: false),
                    fetch_count = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_relay_batches", x => x.batch_id);
                });

            migrationBuilder.CreateTable(
                name: "tlsrpt_rejections",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    source_kind = table.Column<string>(type: "text", nullable: false),
                    source_name = table.Column<string>(type: "text", nullable: false),
                    message_id = table.Column<string>(type: "text", nullable: true),
                    status = table.Column<string>(type: "text", nullable: false),
                    reason = table.Column<string>(type: "text", nullable: false),
                    rejected_at = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_tlsrpt_rejections", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "tlsrpt_reports",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    organization_name = table.Column<string>(type: "text", nullable: false),
                    report_id = table.Column<string>(type: "text", nullable: false),
                    start_datetime = table.Column<long>(type: "bigint", nullable: false),
                    end_datetime = table.Column<long>(type: "bigint", nullable: false),
                    contact_info = table.Column<string>(type: "text", nullable: true),
                    flags = table.Column<string>(type: "text", nullable: false),
                    success_count = table.Column<long>(type: "bigint", nullable: false),
                    failure_count = table.Column<long>(type: "bigint", nullable: false),
                    source_kind = table.Column<string>(type: "text", nullable: false),
                    source_name = table.Column<string>(type: "text", nullable: false),
                    message_id = table.Column<string>(type: "text", nullable: true),
                    dkim_result = table.Column<string>(type: "text", nullable: false),
                    dkim_domain = table.Column<string>(type: "text", nullable: true),
                    received_at = table.Column<long>(type: "bigint", nullable: false),
                    original_media_type = table.Column<string>(type: "text", nullable: false),
                    original = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_tlsrpt_reports", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "tlsrpt_report_policies",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    tls_report_id = table.Column<long>(type: "bigint", nullable: false),
                    position = table.Column<int>(type: "integer", nullable: false),
                    policy_type = table.Column<string>(type: "text", nullable: false),
                    policy_strings = table.Column<string>(type: "text", nullable: false),
                    policy_domain = table.Column<string>(type: "text", nullable: true),
                    mx_hosts = table.Column<string>(type: "text", nullable: false),
                    success_count = table.Column<long>(type: "bigint", nullable: false),
                    failure_count = table.Column<long>(type: "bigint", nullable: false)
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
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    tls_report_policy_id = table.Column<long>(type: "bigint", nullable: false),
                    result_type = table.Column<string>(type: "text", nullable: false),
                    sending_mta_ip = table.Column<string>(type: "text", nullable: true),
                    receiving_mx_hostname = table.Column<string>(type: "text", nullable: true),
                    receiving_mx_helo = table.Column<string>(type: "text", nullable: true),
                    receiving_ip = table.Column<string>(type: "text", nullable: true),
                    failed_session_count = table.Column<long>(type: "bigint", nullable: false),
                    additional_information = table.Column<string>(type: "text", nullable: true),
                    failure_reason_code = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_tlsrpt_failure_details", x => x.id);
                    table.ForeignKey(
                        name: "FK_tlsrpt_failure_details_tlsrpt_report_policies_tls_report_po~",
                        column: x => x.tls_report_policy_id,
                        principalTable: "tlsrpt_report_policies",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
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
                name: "IX_inbound_daily_counts_policy_domain_day",
                table: "inbound_daily_counts",
                columns: new[] { "policy_domain", "day" });

            migrationBuilder.CreateIndex(
                name: "IX_inbound_daily_failures_policy_domain_day",
                table: "inbound_daily_failures",
                columns: new[] { "policy_domain", "day" });

            migrationBuilder.CreateIndex(
                name: "IX_policy_fetch_days_policy_domain_day",
                table: "policy_fetch_days",
                columns: new[] { "policy_domain", "day" });

            migrationBuilder.CreateIndex(
                name: "IX_relay_batches_committed_at",
                table: "relay_batches",
                column: "committed_at");

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
                name: "IX_tlsrpt_reports_organization_name_report_id_start_datetime_e~",
                table: "tlsrpt_reports",
                columns: new[] { "organization_name", "report_id", "start_datetime", "end_datetime" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_tlsrpt_reports_received_at",
                table: "tlsrpt_reports",
                column: "received_at");

            migrationBuilder.CreateIndex(
                name: "IX_tlsrpt_reports_start_datetime",
                table: "tlsrpt_reports",
                column: "start_datetime");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "api_keys");

            migrationBuilder.DropTable(
                name: "daily_failure_details");

            migrationBuilder.DropTable(
                name: "daily_policy_counts");

            migrationBuilder.DropTable(
                name: "domain_days");

            migrationBuilder.DropTable(
                name: "domain_weeks");

            migrationBuilder.DropTable(
                name: "inbound_daily_counts");

            migrationBuilder.DropTable(
                name: "inbound_daily_failures");

            migrationBuilder.DropTable(
                name: "leases");

            migrationBuilder.DropTable(
                name: "policies");

            migrationBuilder.DropTable(
                name: "policy_fetch_days");

            migrationBuilder.DropTable(
                name: "relay_batches");

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
