using System.Data.Common;
using MtaStsReporting.Domain.TlsRpt;
using MtaStsReporting.Domain.TlsRpt.Outbound;
using MtaStsReporting.Persistence.Schema;
using MtaStsReporting.Persistence.Store;

namespace MtaStsReporting.Persistence.Outbound;

/// <summary>
/// The sending side of RFC 8460: the days and domains our relays reported on, the reports built
/// from them, and each report's delivery to each destination. Every step is committed before
/// the next one starts, so that a restart (or another instance) goes on from where it stood:
/// a day is decided once (<c>outbound_days</c>), an attempt is written before it starts and
/// completed after it ends, and an attempt found unfinished is marked interrupted, never
/// repeated by itself.
/// </summary>
public sealed class OutboundReportStore(ReportingStore store)
{
    /// <summary>The days in [from, to] with relay counts for a domain not decided yet, oldest first.</summary>
    public async Task<IReadOnlyList<DateOnly>> UndecidedDaysAsync(DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        await using var c = await store.OpenReaderAsync(cancellationToken);
        await using var command = Statement.Query(c,
            """
            SELECT DISTINCT n.day FROM daily_policy_counts n
            WHERE n.day >= @from AND n.day <= @to
              AND NOT EXISTS (SELECT 1 FROM outbound_days o WHERE o.day = n.day AND o.policy_domain = n.policy_domain)
            ORDER BY n.day
            """, from, to);
        var days = new List<DateOnly>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            days.Add(reader.Day(0));
        }

        return days;
    }

    /// <summary>
    /// The counts of every domain of <paramref name="day"/> not decided yet (or only those of
    /// <paramref name="domain"/>), in domain order, read in three queries whatever their number.
    /// </summary>
    public async Task<IReadOnlyList<OutboundDayCounts>> ReadUndecidedAsync(DateOnly day, string? domain, CancellationToken cancellationToken)
    {
        const string Undecided = "NOT EXISTS (SELECT 1 FROM outbound_days o WHERE o.day = n.day AND o.policy_domain = n.policy_domain) AND (CAST(@dom AS TEXT) IS NULL OR n.policy_domain = @dom)";
        await using var c = await store.OpenReaderAsync(cancellationToken);

        var details = new Dictionary<(string Domain, string Policy), List<TlsReportFailureDetail>>();
        await using (var command = Statement.Query(c,
            $"""
             SELECT n.policy_domain, n.policy_key, n.result_type, n.sending_mta_ip, n.receiving_mx_hostname, n.receiving_mx_helo, n.receiving_ip,
                    n.failed_session_count, n.additional_information, n.failure_reason_code
             FROM daily_failure_details n WHERE n.day = @d AND {Undecided}
             """, day, domain))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var key = (reader.GetString(0), reader.GetString(1));
                if (!details.TryGetValue(key, out var list))
                {
                    details[key] = list = [];
                }

                list.Add(new TlsReportFailureDetail(reader.GetString(2), reader.Text(3), reader.Text(4), reader.Text(5), reader.Text(6), reader.Int64(7), reader.Text(8), reader.Text(9)));
            }
        }

        var records = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var command = Statement.Query(c,
            $"SELECT n.recipient_domain, n.record FROM tlsrpt_record_days n WHERE n.day = @d AND (CAST(@dom AS TEXT) IS NULL OR n.recipient_domain = @dom)", day, domain))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                records[reader.GetString(0)] = reader.GetString(1);
            }
        }

        var days = new List<OutboundDayCounts>();
        await using (var command = Statement.Query(c,
            $"""
             SELECT n.policy_domain, n.policy_key, p.policy_type, p.policy_strings, p.mx_hosts, n.success_count, n.failure_count
             FROM daily_policy_counts n JOIN policies p ON p.policy_key = n.policy_key
             WHERE n.day = @d AND {Undecided}
             ORDER BY n.policy_domain, n.policy_key
             """, day, domain))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            List<TlsReportPolicy>? policies = null;
            string? current = null;
            while (await reader.ReadAsync(cancellationToken))
            {
                var policyDomain = reader.GetString(0);
                if (policyDomain != current)
                {
                    policies = [];
                    days.Add(new OutboundDayCounts(day, policyDomain, records.GetValueOrDefault(policyDomain), policies));
                    current = policyDomain;
                }

                policies!.Add(new TlsReportPolicy(reader.GetString(2), reader.Strings(3), policyDomain, reader.Strings(4),
                    reader.Int64(5), reader.Int64(6), details.GetValueOrDefault((policyDomain, reader.GetString(1))) ?? []));
            }
        }

        return days;
    }

    /// <summary>
    /// Stores reports and the days without one, in one transaction. A day already decided (by
    /// another instance, or before a restart) is left as it is, and its report not stored again.
    /// Returns the reports stored.
    /// </summary>
    public Task<int> DecideAsync(IReadOnlyList<BuiltReport> reports, IReadOnlyList<OutboundSkip> skips, CancellationToken cancellationToken) =>
        store.WriteAsync(new WriteUnit<int>(s =>
        {
            var at = s.Now.ToUnixTimeMilliseconds();
            foreach (var skip in skips)
            {
                s.Execute(OutboundTables.DecideDay, skip.Day, skip.PolicyDomain, skip.Outcome, skip.Detail, null, at);
            }

            var stored = 0;
            foreach (var (report, source, first) in reports)
            {
                if (s.Execute(OutboundTables.DecideDay, report.Day, report.PolicyDomain, "built", source, report.ReportId, at) == 0)
                {
                    continue;
                }

                s.Execute(OutboundTables.PutReport, report.ReportId, report.Day, report.PolicyDomain, string.Join('\n', report.Destinations.Select(d => d.OriginalString)),
                    System.Text.Encoding.UTF8.GetString(report.Json), report.Sessions, report.Failures, at);
                foreach (var destination in report.Destinations)
                {
                    s.Execute(OutboundTables.PutDelivery, report.ReportId, destination.OriginalString, report.Day, report.PolicyDomain, first.ToUnixTimeMilliseconds(), at);
                }

                stored++;
            }

            return stored;
        }), cancellationToken);

    /// <summary>Deliveries due at <paramref name="now"/>, the longest waiting first.</summary>
    public async Task<IReadOnlyList<DueDelivery>> DueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        await using var c = await store.OpenReaderAsync(cancellationToken);
        await using var command = Statement.Query(c,
            """
            SELECT report_id, destination, day, policy_domain, attempts, first_attempt_at, next_attempt_at FROM outbound_deliveries
            WHERE state = 'pending' AND next_attempt_at <= @now ORDER BY next_attempt_at, report_id, destination LIMIT @limit
            """, now.ToUnixTimeMilliseconds(), limit);
        var due = new List<DueDelivery>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            due.Add(new DueDelivery(reader.GetString(0), reader.GetString(1), reader.Day(2), reader.GetString(3), (int)reader.Int64(4),
                reader.Instant(5), reader.Instant(6)));
        }

        return due;
    }

    /// <summary>The earliest next attempt of a pending delivery, if any.</summary>
    public async Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken)
    {
        await using var c = await store.OpenReaderAsync(cancellationToken);
        await using var command = Statement.Query(c, "SELECT MIN(next_attempt_at) FROM outbound_deliveries WHERE state = 'pending'");
        return await command.ExecuteScalarAsync(cancellationToken) is { } v and not DBNull
            ? DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture))
            : null;
    }

    /// <summary>
    /// Starts an attempt: the delivery becomes <c>sending</c>, held by <paramref name="holder"/>,
    /// and the attempt is written, both committed before anything is sent. Null when the delivery
    /// is no longer pending and due (another sender has it, or an admin changed it).
    /// </summary>
    public Task<int?> StartAttemptAsync(string reportId, string destination, string sentTo, string holder, CancellationToken cancellationToken) =>
        store.WriteAsync(new WriteUnit<int?>(s =>
        {
            var at = s.Now.ToUnixTimeMilliseconds();
            if (s.Execute(OutboundTables.Claim, holder, at, reportId, destination) == 0)
            {
                return null;
            }

            var attempt = Convert.ToInt32(s.Scalar(OutboundTables.Attempts, reportId, destination), System.Globalization.CultureInfo.InvariantCulture);
            s.Execute(OutboundTables.StartAttempt, reportId, destination, attempt, sentTo, at);
            return attempt;
        }), cancellationToken);

    /// <summary>
    /// Ends an attempt: its outcome and answer, the delivery's next state, and the destination's
    /// record (a delivery clears it; a report that ends undelivered adds one failure in a row, and
    /// <paramref name="suppressUntil"/> says, from that count, whether the destination is now suppressed).
    /// </summary>
    public Task FinishAttemptAsync(string reportId, string destination, int attempt, string holder, AttemptResult result, Func<int, DateTimeOffset, DateTimeOffset?> suppressUntil, CancellationToken cancellationToken) =>
        store.WriteAsync(new WriteUnit<int>(s =>
        {
            var at = s.Now.ToUnixTimeMilliseconds();
            s.Execute(OutboundTables.FinishAttempt, at, result.Outcome, result.Answer, reportId, destination, attempt);
            s.Execute(OutboundTables.SetDelivery, result.State, result.NextAttemptAt?.ToUnixTimeMilliseconds() ?? at, result.Answer, at, reportId, destination, holder);
            if (result.State == DeliveryStates.Delivered)
            {
                s.Execute(OutboundTables.DestinationDelivered, destination);
            }
            else if (result.DestinationFailed)
            {
                FailDestination(s, destination, suppressUntil);
            }

            return 0;
        }), cancellationToken);

    /// <summary>
    /// Gives up a due delivery without an attempt (its destination is suppressed): it does not
    /// count as one more failure of the destination.
    /// </summary>
    public Task<bool> GiveUpAsync(string reportId, string destination, string why, CancellationToken cancellationToken) =>
        store.WriteAsync(new WriteUnit<bool>(s => s.Execute(OutboundTables.GiveUp, why, s.Now.ToUnixTimeMilliseconds(), reportId, destination) == 1), cancellationToken);

    /// <summary>Destinations suppressed at <paramref name="now"/>, with the end of their suppression.</summary>
    public async Task<IReadOnlyDictionary<string, DateTimeOffset>> SuppressedAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var c = await store.OpenReaderAsync(cancellationToken);
        await using var command = Statement.Query(c, "SELECT destination, suppressed_until FROM outbound_destinations WHERE suppressed_until > @now", now.ToUnixTimeMilliseconds());
        var suppressed = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            suppressed[reader.GetString(0)] = reader.Instant(1);
        }

        return suppressed;
    }

    /// <summary>
    /// Marks every attempt that is <c>sending</c> under another holder as interrupted (its sender
    /// died or lost the lease): it may have gone out, so it is not repeated. Returns how many.
    /// An empty <paramref name="holder"/> marks every one (a sender with none in flight).
    /// </summary>
    public Task<int> InterruptOthersAsync(string holder, CancellationToken cancellationToken) =>
        store.WriteAsync(new WriteUnit<int>(s =>
        {
            const string Why = "the daemon stopped during this attempt; it may have been delivered, so it is not sent again unless an admin resends it";
            s.Execute(OutboundTables.InterruptAttempts, Why, holder);
            return s.Execute(OutboundTables.InterruptDeliveries, Why, s.Now.ToUnixTimeMilliseconds(), holder);
        }), cancellationToken);

    /// <summary>The operator switches (name → value).</summary>
    public async Task<IReadOnlyDictionary<string, string>> SettingsAsync(CancellationToken cancellationToken)
    {
        await using var c = await store.OpenReaderAsync(cancellationToken);
        await using var command = Statement.Query(c, "SELECT name, value FROM outbound_settings");
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            settings[reader.GetString(0)] = reader.GetString(1);
        }

        return settings;
    }

    /// <summary>Sets (or, with null, clears) operator switches, in one transaction.</summary>
    public Task SetSettingsAsync(IReadOnlyDictionary<string, string?> values, CancellationToken cancellationToken) =>
        store.WriteAsync(new WriteUnit<int>(s =>
        {
            foreach (var (name, value) in values)
            {
                if (value is null)
                {
                    s.Execute(OutboundTables.DeleteSetting, name);
                }
                else
                {
                    s.Execute(OutboundTables.PutSetting, name, value);
                }
            }

            return 0;
        }), cancellationToken);

    /// <summary>
    /// Forgets what was decided for the day (for one domain, or all), so that the builder makes the
    /// reports again from the counts as they are now; a report keeps its id, and its deliveries
    /// start over. Returns the days forgotten.
    /// </summary>
    public Task<int> RebuildAsync(DateOnly day, string? domain, CancellationToken cancellationToken) =>
        store.WriteAsync(new WriteUnit<int>(s => s.Execute(OutboundTables.ForgetDays, day, domain)), cancellationToken);

    /// <summary>
    /// Sends the reports of the day (one domain or all) again: every delivery is pending again from
    /// now, whatever its state but sending. Returns the deliveries.
    /// </summary>
    public Task<int> ResendAsync(DateOnly day, string? domain, CancellationToken cancellationToken) =>
        store.WriteAsync(new WriteUnit<int>(s => s.Execute(OutboundTables.ResendDay, s.Now.ToUnixTimeMilliseconds(), day, domain)), cancellationToken);

    /// <summary>Sends one report again, as <see cref="ResendAsync(DateOnly, string?, CancellationToken)"/> does a day.</summary>
    public Task<int> ResendAsync(string reportId, CancellationToken cancellationToken) =>
        store.WriteAsync(new WriteUnit<int>(s => s.Execute(OutboundTables.ResendReport, s.Now.ToUnixTimeMilliseconds(), reportId)), cancellationToken);

    /// <summary>Reports in [from, to], of one domain or all, with their deliveries (of one state or all), newest day first.</summary>
    public async Task<IReadOnlyList<StoredReport>> ListAsync(DateOnly from, DateOnly to, string? domain, string? state, int offset, int limit, CancellationToken cancellationToken)
    {
        await using var c = await store.OpenReaderAsync(cancellationToken);
        await using var command = Statement.Query(c,
            """
            SELECT r.report_id, r.day, r.policy_domain, r.sessions, r.failures, r.built_at FROM outbound_reports r
            WHERE r.day >= @from AND r.day <= @to AND (CAST(@dom AS TEXT) IS NULL OR r.policy_domain = @dom)
              AND (CAST(@state AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM outbound_deliveries d WHERE d.report_id = r.report_id AND d.state = @state))
            ORDER BY r.day DESC, r.policy_domain, r.report_id LIMIT @limit OFFSET @offset
            """, from, to, domain, state, limit, offset);
        var reports = new List<StoredReport>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                reports.Add(new StoredReport(reader.GetString(0), reader.Day(1), reader.GetString(2), reader.Int64(3), reader.Int64(4),
                    reader.Instant(5), null, []));
            }
        }

        for (var i = 0; i < reports.Count; i++)
        {
            reports[i] = reports[i] with { Deliveries = await DeliveriesAsync(c, reports[i].ReportId, withAttempts: false, cancellationToken) };
        }

        return reports;
    }

    /// <summary>One report: its JSON, and every delivery with every attempt (or, for the sender, none). Null when unknown.</summary>
    public async Task<StoredReport?> GetAsync(string reportId, CancellationToken cancellationToken, bool withDeliveries = true)
    {
        await using var c = await store.OpenReaderAsync(cancellationToken);
        await using var command = Statement.Query(c,
            "SELECT report_id, day, policy_domain, sessions, failures, built_at, json FROM outbound_reports WHERE report_id = @r", reportId);
        StoredReport report;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            report = new StoredReport(reader.GetString(0), reader.Day(1), reader.GetString(2), reader.Int64(3), reader.Int64(4),
                reader.Instant(5), reader.GetString(6), []);
        }

        return withDeliveries ? report with { Deliveries = await DeliveriesAsync(c, reportId, withAttempts: true, cancellationToken) } : report;
    }

    /// <summary>What was decided for a day, per domain (built, no-record, excluded).</summary>
    public async Task<IReadOnlyList<OutboundSkip>> DecisionsAsync(DateOnly day, CancellationToken cancellationToken)
    {
        await using var c = await store.OpenReaderAsync(cancellationToken);
        await using var command = Statement.Query(c, "SELECT day, policy_domain, outcome, detail FROM outbound_days WHERE day = @d ORDER BY policy_domain", day);
        var decisions = new List<OutboundSkip>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            decisions.Add(new OutboundSkip(reader.Day(0), reader.GetString(1), reader.GetString(2), reader.Text(3) ?? ""));
        }

        return decisions;
    }

    private static async Task<IReadOnlyList<StoredDelivery>> DeliveriesAsync(DbConnection c, string reportId, bool withAttempts, CancellationToken cancellationToken)
    {
        var deliveries = new List<StoredDelivery>();
        await using (var command = Statement.Query(c,
            "SELECT destination, state, attempts, next_attempt_at, last_answer, updated_at FROM outbound_deliveries WHERE report_id = @r ORDER BY destination", reportId))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                deliveries.Add(new StoredDelivery(reader.GetString(0), reader.GetString(1), (int)reader.Int64(2), reader.Instant(3),
                    reader.Text(4), reader.Instant(5), []));
            }
        }

        if (!withAttempts)
        {
            return deliveries;
        }

        var attempts = new List<(string Destination, StoredAttempt Attempt)>();
        await using (var command = Statement.Query(c,
            "SELECT destination, attempt, sent_to, started_at, finished_at, outcome, answer FROM outbound_attempts WHERE report_id = @r ORDER BY destination, attempt", reportId))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                attempts.Add((reader.GetString(0), new StoredAttempt((int)reader.Int64(1), reader.GetString(2), reader.Instant(3),
                    reader.OptionalInstant(4), reader.GetString(5), reader.Text(6))));
            }
        }

        return deliveries.Select(d => d with { AttemptLog = attempts.Where(a => a.Destination == d.Destination).Select(a => a.Attempt).ToList() }).ToList();
    }

    private static void FailDestination(WriteSession s, string destination, Func<int, DateTimeOffset, DateTimeOffset?> suppressUntil)
    {
        var inRow = (s.Scalar(OutboundTables.DestinationFailedReports, destination) is { } n ? Convert.ToInt32(n, System.Globalization.CultureInfo.InvariantCulture) : 0) + 1;
        s.Execute(OutboundTables.DestinationFailed, destination, inRow, suppressUntil(inRow, s.Now)?.ToUnixTimeMilliseconds(), s.Now.ToUnixTimeMilliseconds());
    }

}

/// <summary>A stored report, with its JSON when asked for one report.</summary>
public sealed record StoredReport(string ReportId, DateOnly Day, string PolicyDomain, long Sessions, long Failures, DateTimeOffset BuiltAt, string? Json, IReadOnlyList<StoredDelivery> Deliveries);

/// <summary>A report's delivery to one destination.</summary>
public sealed record StoredDelivery(string Destination, string State, int Attempts, DateTimeOffset NextAttemptAt, string? LastAnswer, DateTimeOffset UpdatedAt, IReadOnlyList<StoredAttempt> AttemptLog);

/// <summary>One attempt.</summary>
public sealed record StoredAttempt(int Attempt, string SentTo, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, string Outcome, string? Answer);
