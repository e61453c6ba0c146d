namespace MtaStsReporting.Persistence.Schema;

// Every hand-written write statement of the store, one class per table, each written once in
// SQL that SQLite and PostgreSQL both speak: named parameters (@name), INSERT … ON CONFLICT,
// RETURNING, and counters qualified by their table in DO UPDATE (PostgreSQL would otherwise
// find the bare name ambiguous). The columns are EF's (ReportingDbContext, snake_case).

/// <summary><c>policies</c>: distinct applied policies, shared by both directions.</summary>
internal static class PoliciesTable
{
    public const string Insert =
        "INSERT INTO policies (policy_key, policy_type, policy_strings, mx_hosts, mode) VALUES (@k, @t, @p, @m, @mode) ON CONFLICT (policy_key) DO NOTHING";
}

/// <summary><c>relay_batches</c>: relay batch ids already counted.</summary>
internal static class RelayBatchesTable
{
    public const string Insert =
        "INSERT INTO relay_batches (batch_id, committed_at, session_count, fetch_count) VALUES (@id, @at, @s, @f) ON CONFLICT (batch_id) DO NOTHING";
}

/// <summary><c>daily_policy_counts</c>: outbound sessions per day, domain and policy.</summary>
internal static class DailyPolicyCountsTable
{
    public const string Add =
        """
        INSERT INTO daily_policy_counts (day, policy_domain, policy_key, success_count, failure_count) VALUES (@d, @dom, @k, @s, @f)
        ON CONFLICT (day, policy_domain, policy_key) DO UPDATE SET
          success_count = daily_policy_counts.success_count + excluded.success_count,
          failure_count = daily_policy_counts.failure_count + excluded.failure_count
        """;
}

/// <summary>
/// The relay batch ids and counters as one statement per table and transaction, from arrays
/// (PostgreSQL only: <c>unnest</c>): a group of relay batches touches hundreds of rows, and on a
/// server each row statement would be a network round trip. The arrays hold distinct keys, in key order.
/// </summary>
internal static class RelayCounterArrays
{
    /// <summary>The group's batch ids; the ones returned were new.</summary>
    public const string InsertBatches =
        """
        INSERT INTO relay_batches (batch_id, committed_at, session_count, fetch_count)
        SELECT * FROM unnest(@id, @at, @s, @f)
        ON CONFLICT (batch_id) DO NOTHING
        RETURNING batch_id
        """;

    public const string AddCounts =
        """
        INSERT INTO daily_policy_counts (day, policy_domain, policy_key, success_count, failure_count)
        SELECT * FROM unnest(@d, @dom, @k, @s, @f)
        ON CONFLICT (day, policy_domain, policy_key) DO UPDATE SET
          success_count = daily_policy_counts.success_count + excluded.success_count,
          failure_count = daily_policy_counts.failure_count + excluded.failure_count
        """;

    public const string AddDetails =
        """
        INSERT INTO daily_failure_details (day, policy_domain, policy_key, detail_key, result_type, sending_mta_ip, receiving_mx_hostname,
          receiving_mx_helo, receiving_ip, failure_reason_code, additional_information, failed_session_count)
        SELECT * FROM unnest(@d, @dom, @k, @dk, @rt, @smi, @rmh, @helo, @rip, @frc, @ai, @c)
        ON CONFLICT (day, policy_domain, policy_key, detail_key) DO UPDATE SET
          failed_session_count = daily_failure_details.failed_session_count + excluded.failed_session_count
        """;
}

/// <summary><c>daily_failure_details</c>: outbound failure details per day.</summary>
internal static class DailyFailureDetailsTable
{
    public const string Add =
        """
        INSERT INTO daily_failure_details (day, policy_domain, policy_key, detail_key, result_type, sending_mta_ip, receiving_mx_hostname,
          receiving_mx_helo, receiving_ip, failure_reason_code, additional_information, failed_session_count)
        VALUES (@d, @dom, @k, @dk, @rt, @smi, @rmh, @helo, @rip, @frc, @ai, @c)
        ON CONFLICT (day, policy_domain, policy_key, detail_key) DO UPDATE SET
          failed_session_count = daily_failure_details.failed_session_count + excluded.failed_session_count
        """;
}

/// <summary><c>policy_fetch_days</c>: MTA-STS policy fetch outcomes per day.</summary>
internal static class PolicyFetchDaysTable
{
    public const string Add =
        """
        INSERT INTO policy_fetch_days (day, policy_domain, outcome_key, result, txt_id, mode, max_age, mx_patterns, policy_text,
          http_status, failure_reason, first_seen, last_seen, fetch_count)
        VALUES (@d, @dom, @k, @r, @id, @mode, @age, @mx, @text, @http, @reason, @first, @last, @c)
        ON CONFLICT (day, policy_domain, outcome_key) DO UPDATE SET
          first_seen = CASE WHEN excluded.first_seen < policy_fetch_days.first_seen THEN excluded.first_seen ELSE policy_fetch_days.first_seen END,
          last_seen = CASE WHEN excluded.last_seen > policy_fetch_days.last_seen THEN excluded.last_seen ELSE policy_fetch_days.last_seen END,
          fetch_count = policy_fetch_days.fetch_count + excluded.fetch_count
        """;
}

/// <summary><c>tlsrpt_reports</c>, <c>tlsrpt_report_policies</c>, <c>tlsrpt_failure_details</c>: inbound reports as received.</summary>
internal static class TlsReportsTable
{
    public const string Insert =
        """
        INSERT INTO tlsrpt_reports (organization_name, report_id, start_datetime, end_datetime, contact_info, flags, success_count, failure_count,
          source_kind, source_name, message_id, dkim_result, dkim_domain, received_at, original_media_type, original)
        VALUES (@org, @id, @start, @end, @contact, @flags, @s, @f, @kind, @name, @mid, @dkim, @dkimd, @at, @mt, @orig)
        ON CONFLICT (organization_name, report_id, start_datetime, end_datetime) DO NOTHING
        RETURNING id
        """;

    public const string InsertPolicy =
        """
        INSERT INTO tlsrpt_report_policies (tls_report_id, position, policy_type, policy_strings, policy_domain, mx_hosts, success_count, failure_count)
        VALUES (@r, @pos, @type, @strings, @domain, @mx, @s, @f) RETURNING id
        """;

    public const string InsertDetail =
        """
        INSERT INTO tlsrpt_failure_details (tls_report_policy_id, result_type, sending_mta_ip, receiving_mx_hostname, receiving_mx_helo, receiving_ip,
          failed_session_count, additional_information, failure_reason_code)
        VALUES (@p, @rt, @smi, @rmh, @helo, @rip, @c, @ai, @frc)
        """;

    /// <summary>A stored report's figures, to tell a resent copy from a second version under the same id.</summary>
    public const string Figures =
        """
        SELECT r.success_count, r.failure_count,
          (SELECT COUNT(*) FROM tlsrpt_report_policies p WHERE p.tls_report_id = r.id),
          (SELECT COALESCE(SUM(d.failed_session_count), 0) FROM tlsrpt_failure_details d JOIN tlsrpt_report_policies p ON d.tls_report_policy_id = p.id WHERE p.tls_report_id = r.id)
        FROM tlsrpt_reports r
        WHERE r.organization_name = @org AND r.report_id = @id AND r.start_datetime = @start AND r.end_datetime = @end
        """;
}

/// <summary><c>tlsrpt_rejections</c>: refused inbound input.</summary>
internal static class RejectionsTable
{
    public const string Insert =
        "INSERT INTO tlsrpt_rejections (source_kind, source_name, message_id, status, reason, rejected_at) VALUES (@k, @n, @m, @s, @r, @at)";
}

/// <summary><c>inbound_daily_counts</c>: inbound sessions per day, domain, reporter and policy.</summary>
internal static class InboundDailyCountsTable
{
    public const string Add =
        """
        INSERT INTO inbound_daily_counts (day, policy_domain, organization_name, policy_key, success_count, failure_count, report_count)
        VALUES (@d, @dom, @org, @k, @s, @f, @n)
        ON CONFLICT (day, policy_domain, organization_name, policy_key) DO UPDATE SET
          success_count = inbound_daily_counts.success_count + excluded.success_count,
          failure_count = inbound_daily_counts.failure_count + excluded.failure_count,
          report_count = inbound_daily_counts.report_count + excluded.report_count
        """;
}

/// <summary><c>inbound_daily_failures</c>: inbound failure details per day.</summary>
internal static class InboundDailyFailuresTable
{
    public const string Add =
        """
        INSERT INTO inbound_daily_failures (day, policy_domain, organization_name, policy_key, detail_key, result_type, sending_mta_ip,
          receiving_mx_hostname, receiving_ip, failed_session_count)
        VALUES (@d, @dom, @org, @k, @dk, @rt, @smi, @rmh, @rip, @c)
        ON CONFLICT (day, policy_domain, organization_name, policy_key, detail_key) DO UPDATE SET
          failed_session_count = inbound_daily_failures.failed_session_count + excluded.failed_session_count
        """;
}

/// <summary><c>api_keys</c>.</summary>
internal static class ApiKeysTable
{
    public const string Insert =
        "INSERT INTO api_keys (id, name, role, secret_hash, created_at, revoked_at) VALUES (@id, @name, @role, @hash, @at, NULL)";

    public const string Revoke = "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, @at) WHERE id = @id";

    public const string Columns = "id, name, role, secret_hash, created_at, revoked_at";
}

/// <summary><c>tlsrpt_record_days</c>: the TLSRPT record relays saw per recipient domain and day.</summary>
internal static class TlsRptRecordDaysTable
{
    public const string Put =
        """
        INSERT INTO tlsrpt_record_days (day, recipient_domain, record) VALUES (@d, @dom, @r)
        ON CONFLICT (day, recipient_domain) DO UPDATE SET record = excluded.record
        """;
}

/// <summary><c>leases</c>: which instance holds a job that must run once (a mailbox, retention).</summary>
internal static class LeasesTable
{
    // Taken when free, expired, or already ours; the holder column then says who has it.
    public const string Take =
        """
        INSERT INTO leases (name, holder, expires_at) VALUES (@name, @holder, @expires)
        ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
        WHERE leases.holder = excluded.holder OR leases.expires_at <= @now
        """;

    public const string Holder = "SELECT holder FROM leases WHERE name = @name";

    public const string Release = "DELETE FROM leases WHERE name = @name AND holder = @holder";
}

/// <summary><c>domain_days</c> and <c>domain_weeks</c>: per-domain totals for the domain list.</summary>
internal static class DomainTotalsTable
{
    public const string AddDay =
        """
        INSERT INTO domain_days (direction, day, policy_domain, sessions, failures) VALUES (@dir, @d, @dom, @s, @f)
        ON CONFLICT (direction, day, policy_domain) DO UPDATE SET
          sessions = domain_days.sessions + excluded.sessions,
          failures = domain_days.failures + excluded.failures
        """;

    public const string AddWeek =
        """
        INSERT INTO domain_weeks (direction, week, policy_domain, sessions, failures) VALUES (@dir, @w, @dom, @s, @f)
        ON CONFLICT (direction, week, policy_domain) DO UPDATE SET
          sessions = domain_weeks.sessions + excluded.sessions,
          failures = domain_weeks.failures + excluded.failures
        """;

    /// <summary>The same from arrays (PostgreSQL, see <see cref="RelayCounterArrays"/>).</summary>
    public const string AddDays =
        """
        INSERT INTO domain_days (direction, day, policy_domain, sessions, failures)
        SELECT @dir, * FROM unnest(@d, @dom, @s, @f)
        ON CONFLICT (direction, day, policy_domain) DO UPDATE SET
          sessions = domain_days.sessions + excluded.sessions,
          failures = domain_days.failures + excluded.failures
        """;

    public const string AddWeeks =
        """
        INSERT INTO domain_weeks (direction, week, policy_domain, sessions, failures)
        SELECT @dir, * FROM unnest(@w, @dom, @s, @f)
        ON CONFLICT (direction, week, policy_domain) DO UPDATE SET
          sessions = domain_weeks.sessions + excluded.sessions,
          failures = domain_weeks.failures + excluded.failures
        """;
}
