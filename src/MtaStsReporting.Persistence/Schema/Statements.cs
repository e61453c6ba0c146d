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

/// <summary>The outbound report tables: what was decided per day and domain, the reports, their deliveries and attempts.</summary>
internal static class OutboundTables
{
    // A day is decided once: the insert that wins makes the report; a second builder (another
    // instance, a restart) finds the row and stops.
    public const string DecideDay =
        """
        INSERT INTO outbound_days (day, policy_domain, outcome, detail, report_id, decided_at) VALUES (@d, @dom, @o, @detail, @r, @at)
        ON CONFLICT (day, policy_domain) DO NOTHING
        """;

    public const string PutReport =
        """
        INSERT INTO outbound_reports (report_id, day, policy_domain, destinations, json, sessions, failures, built_at)
        VALUES (@r, @d, @dom, @dest, @json, @s, @f, @at)
        ON CONFLICT (report_id) DO UPDATE SET destinations = excluded.destinations, json = excluded.json,
            sessions = excluded.sessions, failures = excluded.failures, built_at = excluded.built_at
        """;

    public const string PutDelivery =
        """
        INSERT INTO outbound_deliveries (report_id, destination, day, policy_domain, state, attempts, first_attempt_at, next_attempt_at, last_answer, holder, updated_at)
        VALUES (@r, @dest, @d, @dom, 'pending', 0, @first, @first, NULL, NULL, @at)
        ON CONFLICT (report_id, destination) DO UPDATE SET state = 'pending', first_attempt_at = excluded.first_attempt_at,
            next_attempt_at = excluded.next_attempt_at, holder = NULL, updated_at = excluded.updated_at
        WHERE outbound_deliveries.state <> 'sending'
        """;

    // Claimed only while pending and due: two senders can never both start the same attempt.
    public const string Claim =
        """
        UPDATE outbound_deliveries SET state = 'sending', attempts = attempts + 1, holder = @h, updated_at = @at
        WHERE report_id = @r AND destination = @dest AND state = 'pending' AND next_attempt_at <= @at
        """;

    public const string Attempts = "SELECT attempts FROM outbound_deliveries WHERE report_id = @r AND destination = @dest";

    public const string StartAttempt =
        """
        INSERT INTO outbound_attempts (report_id, destination, attempt, sent_to, started_at, finished_at, outcome, answer)
        VALUES (@r, @dest, @n, @to, @at, NULL, 'sending', NULL)
        """;

    public const string FinishAttempt =
        "UPDATE outbound_attempts SET finished_at = @at, outcome = @o, answer = @a WHERE report_id = @r AND destination = @dest AND attempt = @n";

    public const string SetDelivery =
        """
        UPDATE outbound_deliveries SET state = @s, next_attempt_at = @next, last_answer = @a, holder = NULL, updated_at = @at
        WHERE report_id = @r AND destination = @dest AND state = 'sending' AND holder = @h
        """;

    public const string DestinationDelivered =
        """
        INSERT INTO outbound_destinations (destination, failed_reports_in_row, suppressed_until, last_failure_at) VALUES (@dest, 0, NULL, NULL)
        ON CONFLICT (destination) DO UPDATE SET failed_reports_in_row = 0, suppressed_until = NULL
        """;

    public const string DestinationFailedReports = "SELECT failed_reports_in_row FROM outbound_destinations WHERE destination = @dest";

    public const string DestinationFailed =
        """
        INSERT INTO outbound_destinations (destination, failed_reports_in_row, suppressed_until, last_failure_at) VALUES (@dest, @n, @until, @at)
        ON CONFLICT (destination) DO UPDATE SET failed_reports_in_row = excluded.failed_reports_in_row,
            suppressed_until = excluded.suppressed_until, last_failure_at = excluded.last_failure_at
        """;

    // Attempts another instance (or this one before a restart) started and never finished.
    public const string InterruptAttempts =
        """
        UPDATE outbound_attempts SET outcome = 'interrupted', answer = @a
        WHERE outcome = 'sending' AND EXISTS (SELECT 1 FROM outbound_deliveries d WHERE d.report_id = outbound_attempts.report_id
            AND d.destination = outbound_attempts.destination AND d.state = 'sending' AND (d.holder IS NULL OR d.holder <> @h))
        """;

    public const string InterruptDeliveries =
        """
        UPDATE outbound_deliveries SET state = 'interrupted', last_answer = @a, holder = NULL, updated_at = @at
        WHERE state = 'sending' AND (holder IS NULL OR holder <> @h)
        """;

    public const string PutSetting =
        "INSERT INTO outbound_settings (name, value) VALUES (@n, @v) ON CONFLICT (name) DO UPDATE SET value = excluded.value";

    public const string DeleteSetting = "DELETE FROM outbound_settings WHERE name = @n";

    public const string GiveUp =
        "UPDATE outbound_deliveries SET state = 'given-up', last_answer = @a, updated_at = @at WHERE report_id = @r AND destination = @dest AND state = 'pending'";

    public const string ForgetDays = "DELETE FROM outbound_days WHERE day = @d AND (CAST(@dom AS TEXT) IS NULL OR policy_domain = @dom)";

    public const string ResendReport =
        """
        UPDATE outbound_deliveries SET state = 'pending', first_attempt_at = @at, next_attempt_at = @at, holder = NULL, updated_at = @at
        WHERE state <> 'sending' AND report_id = @r
        """;

    public const string ResendDay =
        """
        UPDATE outbound_deliveries SET state = 'pending', first_attempt_at = @at, next_attempt_at = @at, holder = NULL, updated_at = @at
        WHERE state <> 'sending' AND day = @d AND (CAST(@dom AS TEXT) IS NULL OR policy_domain = @dom)
        """;
}

/// <summary><c>policy_versions</c> and <c>hosted_policies</c>: our own policies and which version is served.</summary>
internal static class PolicyVersionsTable
{
    public const string Columns =
        "v.domain, v.version, v.policy_id, v.policy_text, v.state, v.created_at, v.updated_at, v.actor, v.origin, v.reason, v.forced, v.overridden, v.verdict, v.evidence, v.outcome";

    public const string LastVersion = "SELECT MAX(version) FROM policy_versions WHERE domain = @d";

    public const string Insert =
        """
        INSERT INTO policy_versions (domain, version, policy_id, policy_text, state, created_at, updated_at, actor, origin, reason, forced, overridden, verdict, evidence, outcome)
        VALUES (@d, @v, @id, @text, @state, @at, @at, @actor, @origin, @reason, @forced, @overridden, @verdict, @evidence, @outcome)
        """;

    // Optimistic: the pointer moves only from the version the change was planned against, so
    // that two admins (or two instances) changing one domain at once cannot both win.
    public const string Adopt = "INSERT INTO hosted_policies (domain, version) VALUES (@d, @v) ON CONFLICT (domain) DO NOTHING";

    public const string Move = "UPDATE hosted_policies SET version = @v WHERE domain = @d AND version = @expected";

    public const string Drop = "DELETE FROM hosted_policies WHERE domain = @d AND version = @expected";

    public const string SetState = "UPDATE policy_versions SET state = @state, outcome = @outcome, updated_at = @at WHERE domain = @d AND version = @v";
}
