using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using System.Data.Common;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Persistence.Reports;
using MtaStsReporting.Persistence.Store;

namespace MtaStsReporting.Daemon.Queries;

/// <summary>
/// The read side: SQL over the per-day tables of both directions (daily_policy_counts /
/// daily_failure_details for outbound, inbound_daily_counts / inbound_daily_failures for
/// inbound) and over stored reports. Every query is bounded by a domain and/or a range of days
/// that the tables are indexed on. Answers are built as API messages directly: there is no
/// logic here beyond aggregation, and a second set of types would only copy these.
/// </summary>
public sealed class ReportingQueries(ReportingStore store)
{
    private static readonly (Direction Direction, string Counts, string Failures, string Organization)[] Tables =
    [
        (Direction.Outbound, "daily_policy_counts", "daily_failure_details", "NULL"),
        (Direction.Inbound, "inbound_daily_counts", "inbound_daily_failures", "organization_name"),
    ];

    private static IEnumerable<(Direction Direction, string Counts, string Failures, string Organization)> For(Direction direction) =>
        Tables.Where(t => direction == Direction.Unspecified || t.Direction == direction);

    /// <summary>True when the domain has any data in the direction(s), in any range.</summary>
    public async Task<bool> KnowsDomainAsync(string domain, Direction direction, CancellationToken cancellationToken)
    {
        var parts = For(direction).Select(t => $"EXISTS (SELECT 1 FROM {t.Counts} WHERE policy_domain = @d)").ToList();
        if (direction != Direction.Inbound)
        {
            parts.Add("EXISTS (SELECT 1 FROM policy_fetch_days WHERE policy_domain = @d)");
        }

        await using var c = await OpenAsync(cancellationToken);
        return Convert.ToBoolean(await Scalar(c, $"SELECT {string.Join(" OR ", parts)}", ("@d", domain)).ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The first and last days with any data in the direction(s), whatever the range: two seeks
    /// on domain_days, whose key starts with direction and day.
    /// </summary>
    public async Task<(DateOnly First, DateOnly Last)?> DataDaysAsync(Direction direction, CancellationToken cancellationToken)
    {
        var directions = string.Join(", ", For(direction).Select(t => (int)t.Direction));
        await using var c = await OpenAsync(cancellationToken);
        await using var command = Scalar(c, $"SELECT MIN(day), MAX(day) FROM domain_days WHERE direction IN ({directions})");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return reader.IsDBNull(0) ? null : (reader.Day(0), reader.Day(1));
    }

    /// <summary>Domains with totals over the range, sorted and paged.</summary>
    public async Task<List<DomainTotals>> ListDomainsAsync(Days days, Direction direction, string? mode, ListDomainsRequest.Types.Sort sort, int offset, int limit, CancellationToken cancellationToken)
    {
        var order = sort == ListDomainsRequest.Types.Sort.Volume
            ? "sessions DESC, domain, dir"
            : "CAST(failures AS DOUBLE PRECISION) / CASE WHEN sessions < 1 THEN 1 ELSE sessions END DESC, sessions DESC, domain, dir";
        var cover = Domain.Rollups.DomainTotals.Cover(days.Start, days.End);
        var totals = mode is null ? FromDomainTotals(cover, direction) : FromCounts(direction, mode);
        if (totals is null)
        {
            return [];
        }

        var sql = $"SELECT dir, domain, sessions, failures FROM ({totals}) AS totals ORDER BY {order} LIMIT @limit OFFSET @offset";
        await using var c = await OpenAsync(cancellationToken);
        await using var command = Scalar(c, sql, ("@from", days.Start), ("@to", days.End), ("@mode", mode), ("@limit", limit), ("@offset", offset),
            ("@w1", cover.FirstWeek), ("@w2", cover.LastWeek), ("@h1", cover.Head?.From), ("@h2", cover.Head?.To), ("@t1", cover.Tail?.From), ("@t2", cover.Tail?.To));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<DomainTotals>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(Totals((Direction)reader.Int64(0), reader.GetString(1), reader.Int64(2), reader.Int64(3)));
        }

        return rows;
    }

    /// <summary>
    /// Totals per domain from the per-domain week and day buckets (domain_weeks, domain_days):
    /// whole weeks of the range as one row each, the days at its edges from the daily rows. A
    /// 30-day range reads about six rows per domain and direction.
    /// </summary>
    private static string? FromDomainTotals(Domain.Rollups.RangeCover cover, Direction direction)
    {
        var parts = new List<string>();
        foreach (var t in For(direction))
        {
            var dir = (int)t.Direction;
            if (cover.FirstWeek is not null)
            {
                parts.Add($"SELECT direction AS dir, policy_domain AS domain, sessions, failures FROM domain_weeks WHERE direction = {dir} AND week BETWEEN @w1 AND @w2");
            }

            if (cover.Head is not null)
            {
                parts.Add($"SELECT direction AS dir, policy_domain AS domain, sessions, failures FROM domain_days WHERE direction = {dir} AND day BETWEEN @h1 AND @h2");
            }

            if (cover.Tail is not null)
            {
                parts.Add($"SELECT direction AS dir, policy_domain AS domain, sessions, failures FROM domain_days WHERE direction = {dir} AND day BETWEEN @t1 AND @t2");
            }
        }

        return parts.Count == 0 ? null
            : $"SELECT dir, domain, SUM(sessions) AS sessions, SUM(failures) AS failures FROM ({string.Join(" UNION ALL ", parts)}) AS buckets GROUP BY dir, domain";
    }

    /// <summary>Totals per domain from the per-policy counts, for a list filtered by the policies' mode.</summary>
    private static string FromCounts(Direction direction, string mode)
    {
        var selects = For(direction).Select(t =>
            $"""
            SELECT {(int)t.Direction} AS dir, c.policy_domain AS domain, SUM(c.success_count + c.failure_count) AS sessions, SUM(c.failure_count) AS failures
            FROM {t.Counts} c JOIN policies p ON p.policy_key = c.policy_key AND p.mode = @mode
            WHERE c.day BETWEEN @from AND @to
            GROUP BY c.policy_domain
            """);
        return string.Join(" UNION ALL ", selects);
    }

    /// <summary>Totals, policies and reporters of one domain.</summary>
    public async Task<DomainSummary> SummaryAsync(string domain, Days days, Direction direction, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken);
        var summary = new DomainSummary { Domain = domain };
        foreach (var t in For(direction))
        {
            await using var command = Scalar(c,
                $"""
                SELECT (SELECT COALESCE(SUM(success_count + failure_count), 0) FROM {t.Counts} WHERE policy_domain = @d AND day BETWEEN @from AND @to),
                       (SELECT COALESCE(SUM(failure_count), 0) FROM {t.Counts} WHERE policy_domain = @d AND day BETWEEN @from AND @to),
                       (SELECT MAX(day) FROM {t.Counts} WHERE policy_domain = @d)
                """,
                ("@d", domain), ("@from", days.Start), ("@to", days.End));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var totals = Totals(t.Direction, domain, reader.Int64(0), reader.Int64(1));
            summary.Totals.Add(new DirectionTotals
            {
                Direction = t.Direction,
                Sessions = totals.Sessions,
                Failures = totals.Failures,
                FailureRate = totals.FailureRate,
                LastSeenDay = reader.IsDBNull(2) ? string.Empty : Days.Format(reader.Day(2)),
            });
        }

        summary.Policies.AddRange(await PoliciesAsync(c, domain, days, direction, cancellationToken));
        if (direction != Direction.Outbound)
        {
            await using var command = Scalar(c,
                """
                SELECT organization_name, SUM(report_count), SUM(success_count + failure_count), SUM(failure_count), MIN(day), MAX(day)
                FROM inbound_daily_counts WHERE policy_domain = @d AND day BETWEEN @from AND @to
                GROUP BY organization_name ORDER BY organization_name
                """,
                ("@d", domain), ("@from", days.Start), ("@to", days.End));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                summary.Reporters.Add(new ReporterSeen
                {
                    Organization = reader.GetString(0),
                    Reports = reader.Int64(1),
                    Sessions = reader.Int64(2),
                    Failures = reader.Int64(3),
                    FirstDay = Days.Format(reader.Day(4)),
                    LastDay = Days.Format(reader.Day(5)),
                });
            }
        }

        return summary;
    }

    /// <summary>Every day of the range with successes, failures and failures per result type, per direction.</summary>
    public async Task<DailyTrend> TrendAsync(string domain, Days days, Direction direction, CancellationToken cancellationToken)
    {
        var trend = new DailyTrend { Domain = domain };
        await using var c = await OpenAsync(cancellationToken);
        foreach (var t in For(direction))
        {
            var byDay = days.Each().ToDictionary(Days.Format, d => new TrendDay { Day = Days.Format(d) });
            await using (var command = Scalar(c,
                $"SELECT day, SUM(success_count), SUM(failure_count) FROM {t.Counts} WHERE policy_domain = @d AND day BETWEEN @from AND @to GROUP BY day",
                ("@d", domain), ("@from", days.Start), ("@to", days.End)))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    var day = byDay[Days.Format(reader.Day(0))];
                    day.Successes = reader.Int64(1);
                    day.Failures = reader.Int64(2);
                }
            }

            await using (var command = Scalar(c,
                $"SELECT day, result_type, SUM(failed_session_count) FROM {t.Failures} WHERE policy_domain = @d AND day BETWEEN @from AND @to GROUP BY day, result_type",
                ("@d", domain), ("@from", days.Start), ("@to", days.End)))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    byDay[Days.Format(reader.Day(0))].FailuresByResultType[reader.GetString(1)] = reader.Int64(2);
                }
            }

            var series = new TrendSeries { Direction = t.Direction };
            series.Days.AddRange(byDay.Values);
            trend.Series.Add(series);
        }

        return trend;
    }

    /// <summary>Failures grouped by one dimension, most first.</summary>
    public async Task<FailureBreakdown> BreakdownAsync(string domain, Days days, Direction direction, BreakdownRequest.Types.Dimension dimension, CancellationToken cancellationToken)
    {
        var t = Tables.Single(x => x.Direction == direction);
        var column = dimension switch
        {
            BreakdownRequest.Types.Dimension.ResultType => "f.result_type",
            BreakdownRequest.Types.Dimension.ReceivingMx => "f.receiving_mx_hostname",
            BreakdownRequest.Types.Dimension.SendingMtaIp => "f.sending_mta_ip",
            BreakdownRequest.Types.Dimension.ReportingOrganization => "f.organization_name",
            _ => "f.policy_key",
        };
        var policy = dimension == BreakdownRequest.Types.Dimension.Policy;
        await using var c = await OpenAsync(cancellationToken);
        await using var command = Scalar(c,
            $"""
            SELECT COALESCE({column}, ''), SUM(f.failed_session_count){(policy ? ", p.policy_type, p.mode, p.mx_hosts" : string.Empty)}
            FROM {t.Failures} f {(policy ? "LEFT JOIN policies p ON p.policy_key = f.policy_key" : string.Empty)}
            WHERE f.policy_domain = @d AND f.day BETWEEN @from AND @to
            GROUP BY 1{(policy ? ", 3, 4, 5" : string.Empty)} ORDER BY 2 DESC, 1
            """,
            ("@d", domain), ("@from", days.Start), ("@to", days.End));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var breakdown = new FailureBreakdown { Domain = domain, Direction = direction };
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new BreakdownRow { Key = reader.GetString(0), Failures = reader.Int64(1) };
            if (policy && !reader.IsDBNull(2))
            {
                row.Label = $"{reader.GetString(2)} mode={(reader.IsDBNull(3) ? "-" : reader.GetString(3))} mx={string.Join(",", reader.Strings(4))}";
            }

            breakdown.Rows.Add(row);
        }

        return breakdown;
    }

    /// <summary>Policies seen (both sources) and the relays' policy fetches.</summary>
    public async Task<PolicyHistory> PolicyHistoryAsync(string domain, Days days, Direction direction, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken);
        var history = new PolicyHistory { Domain = domain };
        history.Policies.AddRange((await PoliciesAsync(c, domain, days, direction, cancellationToken)).OrderBy(p => p.FirstDay, StringComparer.Ordinal));
        if (direction != Direction.Inbound)
        {
            history.Fetches.AddRange(await FetchesAsync(c, domain, days, cancellationToken));
        }

        return history;
    }

    /// <summary>Report headers, newest first.</summary>
    public async Task<List<ReportHeader>> ListReportsAsync(Days days, string? domain, string? organization, int offset, int limit, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken);
        var from = new DateTimeOffset(days.Start.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeMilliseconds();
        var to = new DateTimeOffset(days.End.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeMilliseconds();
        await using var command = Scalar(c,
            $"""
            SELECT {HeaderColumns} FROM tlsrpt_reports r
            WHERE r.start_datetime >= @from AND r.start_datetime < @to
              {(organization is null ? string.Empty : "AND r.organization_name = @org")}
              {(domain is null ? string.Empty : "AND EXISTS (SELECT 1 FROM tlsrpt_report_policies p WHERE p.tls_report_id = r.id AND p.policy_domain = @d)")}
            ORDER BY r.start_datetime DESC, r.id DESC LIMIT @limit OFFSET @offset
            """,
            ("@from", from), ("@to", to), ("@org", organization), ("@d", domain), ("@limit", limit), ("@offset", offset));
        var headers = new List<ReportHeader>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                headers.Add(Header(reader));
            }
        }

        foreach (var h in headers)
        {
            h.PolicyDomains.AddRange(await PolicyDomainsAsync(c, h.Id, cancellationToken));
        }

        return headers;
    }

    /// <summary>One report, or null.</summary>
    public async Task<Report?> ReportAsync(long id, bool includeOriginal, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken);
        Report report;
        await using (var command = Scalar(c, $"SELECT {HeaderColumns}, r.contact_info, r.original_media_type, r.original FROM tlsrpt_reports r WHERE r.id = @id", ("@id", id)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            report = new Report { Header = Header(reader), ContactInfo = Text(reader, 15), OriginalMediaType = reader.GetString(16) };
            if (includeOriginal)
            {
                report.Original = ByteString.CopyFrom(TlsReportStore.Gunzip((byte[])reader.GetValue(17)));
            }
        }

        report.Header.PolicyDomains.AddRange(await PolicyDomainsAsync(c, id, cancellationToken));
        var policies = new Dictionary<long, ReportPolicy>();
        await using (var command = Scalar(c,
            "SELECT id, policy_type, policy_strings, policy_domain, mx_hosts, success_count, failure_count FROM tlsrpt_report_policies WHERE tls_report_id = @id ORDER BY position", ("@id", id)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var p = new ReportPolicy
                {
                    PolicyType = reader.GetString(1),
                    PolicyDomain = Text(reader, 3),
                    SuccessCount = reader.GetInt64(5),
                    FailureCount = reader.GetInt64(6),
                };
                p.PolicyString.AddRange(reader.Strings(2));
                p.MxHost.AddRange(reader.Strings(4));
                policies[reader.GetInt64(0)] = p;
                report.Policies.Add(p);
            }
        }

        await using (var command = Scalar(c,
            """
            SELECT d.tls_report_policy_id, d.result_type, d.sending_mta_ip, d.receiving_mx_hostname, d.receiving_mx_helo, d.receiving_ip,
                   d.failed_session_count, d.additional_information, d.failure_reason_code
            FROM tlsrpt_failure_details d JOIN tlsrpt_report_policies p ON p.id = d.tls_report_policy_id
            WHERE p.tls_report_id = @id ORDER BY d.id
            """, ("@id", id)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                policies[reader.GetInt64(0)].FailureDetails.Add(new ReportFailureDetail
                {
                    ResultType = reader.GetString(1),
                    SendingMtaIp = Text(reader, 2),
                    ReceivingMxHostname = Text(reader, 3),
                    ReceivingMxHelo = Text(reader, 4),
                    ReceivingIp = Text(reader, 5),
                    FailedSessionCount = reader.GetInt64(6),
                    AdditionalInformation = Text(reader, 7),
                    FailureReasonCode = Text(reader, 8),
                });
            }
        }

        return report;
    }

    /// <summary>
    /// What reporters said about a domain per day, reporter, policy and whether the report is
    /// verified, with failures per result type and per MX host: the evidence the readiness rules
    /// read. Read from the stored reports themselves (the policy domain is indexed; a window is
    /// a few weeks), because the daily roll-ups do not keep the DKIM verdict. Verified: a mail
    /// whose DKIM signature passed, or a report an admin imported (file, gRPC).
    /// </summary>
    public async Task<List<Domain.Readiness.ReportDay>> ReportDaysAsync(string domain, Days days, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken);
        var from = new DateTimeOffset(days.Start.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeMilliseconds();
        var to = new DateTimeOffset(days.End.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeMilliseconds();
        const string Window = "p.policy_domain = @d AND r.start_datetime >= @from AND r.start_datetime < @to";

        var failures = new Dictionary<long, List<(string Type, string Mx, long Count)>>();
        await using (var command = Scalar(c,
            $"""
            SELECT d.tls_report_policy_id, d.result_type, COALESCE(d.receiving_mx_hostname, ''), d.failed_session_count
            FROM tlsrpt_failure_details d JOIN tlsrpt_report_policies p ON p.id = d.tls_report_policy_id JOIN tlsrpt_reports r ON r.id = p.tls_report_id
            WHERE {Window}
            """,
            ("@d", domain), ("@from", from), ("@to", to)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                if (!failures.TryGetValue(reader.GetInt64(0), out var list))
                {
                    failures[reader.GetInt64(0)] = list = [];
                }

                list.Add((reader.GetString(1), reader.GetString(2), reader.GetInt64(3)));
            }
        }

        var groups = new Dictionary<(DateOnly Day, string Org, string Type, string Strings, bool Verified), (string[] Strings, long Ok, long Failed, Dictionary<string, long> ByType, Dictionary<string, long> ByMx)>();
        await using (var command = Scalar(c,
            $"""
            SELECT r.start_datetime, r.organization_name, r.dkim_result = 'pass' OR r.source_kind IN ('file', 'grpc'),
              p.id, p.policy_type, p.policy_strings, p.success_count, p.failure_count
            FROM tlsrpt_report_policies p JOIN tlsrpt_reports r ON r.id = p.tls_report_id
            WHERE {Window}
            """,
            ("@d", domain), ("@from", from), ("@to", to)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                // A report covers one UTC day (RFC 8460 §4.1); one that spans more counts on its first, as in the roll-ups.
                var day = DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)).UtcDateTime);
                var key = (day, reader.GetString(1), reader.GetString(4), reader.GetString(5), reader.Bool(2));
                if (!groups.TryGetValue(key, out var g))
                {
                    g = (reader.Strings(5), 0, 0, new Dictionary<string, long>(StringComparer.Ordinal), new Dictionary<string, long>(StringComparer.Ordinal));
                }

                g.Ok += reader.GetInt64(6);
                g.Failed += reader.GetInt64(7);
                foreach (var (type, mx, count) in failures.GetValueOrDefault(reader.GetInt64(3)) ?? [])
                {
                    g.ByType[type] = g.ByType.GetValueOrDefault(type) + count;
                    g.ByMx[mx] = g.ByMx.GetValueOrDefault(mx) + count;
                }

                groups[key] = g;
            }
        }

        return groups
            .OrderBy(kv => kv.Key.Day).ThenBy(kv => kv.Key.Org, StringComparer.Ordinal).ThenBy(kv => kv.Key.Strings, StringComparer.Ordinal).ThenBy(kv => kv.Key.Verified)
            .Select(kv => new Domain.Readiness.ReportDay(kv.Key.Day, kv.Key.Org, kv.Key.Type, kv.Value.Strings, kv.Value.Ok, kv.Value.Failed, kv.Value.ByType, kv.Value.ByMx, kv.Key.Verified))
            .ToList();
    }

    private const string HeaderColumns =
        "r.id, r.organization_name, r.report_id, r.start_datetime, r.end_datetime, r.success_count, r.failure_count, r.flags, r.source_kind, r.source_name, " +
        "r.message_id, r.dkim_result, r.dkim_domain, r.received_at, NULL";

    private static ReportHeader Header(DbDataReader reader)
    {
        var header = new ReportHeader
        {
            Id = reader.GetInt64(0),
            Organization = reader.GetString(1),
            ReportId = reader.GetString(2),
            Start = Instant(reader.GetInt64(3)),
            End = Instant(reader.GetInt64(4)),
            SuccessCount = reader.GetInt64(5),
            FailureCount = reader.GetInt64(6),
            SourceKind = reader.GetString(8),
            SourceName = reader.GetString(9),
            MessageId = Text(reader, 10),
            DkimResult = reader.GetString(11),
            DkimDomain = Text(reader, 12),
            ReceivedAt = Instant(reader.GetInt64(13)),
        };
        using var flags = JsonDocument.Parse(reader.GetString(7));
        header.Flags.AddRange(flags.RootElement.EnumerateArray().Select(f => $"{f.GetProperty("code").GetString()}: {f.GetProperty("detail").GetString()}"));
        return header;
    }

    private static async Task<List<string>> PolicyDomainsAsync(DbConnection c, long reportId, CancellationToken cancellationToken)
    {
        await using var command = Scalar(c, "SELECT DISTINCT policy_domain FROM tlsrpt_report_policies WHERE tls_report_id = @id AND policy_domain IS NOT NULL ORDER BY 1", ("@id", reportId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var domains = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            domains.Add(reader.GetString(0));
        }

        return domains;
    }

    private static async Task<List<PolicySeen>> PoliciesAsync(DbConnection c, string domain, Days days, Direction direction, CancellationToken cancellationToken)
    {
        var seen = new List<PolicySeen>();
        foreach (var t in For(direction))
        {
            await using var command = Scalar(c,
                $"""
                SELECT p.policy_type, p.mode, p.policy_strings, p.mx_hosts, MIN(c.day), MAX(c.day), SUM(c.success_count + c.failure_count)
                FROM {t.Counts} c JOIN policies p ON p.policy_key = c.policy_key
                WHERE c.policy_domain = @d AND c.day BETWEEN @from AND @to
                GROUP BY p.policy_key, p.policy_type, p.mode, p.policy_strings, p.mx_hosts ORDER BY MIN(c.day), p.policy_key
                """,
                ("@d", domain), ("@from", days.Start), ("@to", days.End));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var p = new PolicySeen
                {
                    Direction = t.Direction,
                    PolicyType = reader.GetString(0),
                    Mode = Text(reader, 1),
                    FirstDay = Days.Format(reader.Day(4)),
                    LastDay = Days.Format(reader.Day(5)),
                    Sessions = reader.Int64(6),
                };
                p.PolicyString.AddRange(reader.Strings(2));
                p.MxHost.AddRange(reader.Strings(3));
                seen.Add(p);
            }
        }

        if (direction != Direction.Inbound)
        {
            // The TXT id that went with a policy: the last successful fetch of the same mode and mx.
            var fetches = await FetchesAsync(c, domain, days, cancellationToken);
            foreach (var p in seen.Where(p => p.Direction == Direction.Outbound))
            {
                p.TxtId = fetches.LastOrDefault(f => f.Result == "success" && f.Mode == p.Mode && f.Mx.SequenceEqual(p.MxHost))?.TxtId ?? string.Empty;
            }
        }

        return seen;
    }

    private static async Task<List<PolicyFetchSeen>> FetchesAsync(DbConnection c, string domain, Days days, CancellationToken cancellationToken)
    {
        await using var command = Scalar(c,
            """
            SELECT day, result, txt_id, mode, mx_patterns, max_age, http_status, failure_reason, fetch_count, first_seen, last_seen
            FROM policy_fetch_days WHERE policy_domain = @d AND day BETWEEN @from AND @to ORDER BY day, first_seen
            """,
            ("@d", domain), ("@from", days.Start), ("@to", days.End));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var fetches = new List<PolicyFetchSeen>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var f = new PolicyFetchSeen
            {
                Day = Days.Format(reader.Day(0)),
                Result = reader.GetString(1),
                TxtId = Text(reader, 2),
                Mode = Text(reader, 3),
                MaxAge = reader.Int64(5),
                HttpStatus = (int)reader.Int64(6),
                FailureReason = Text(reader, 7),
                Count = reader.GetInt64(8),
                FirstSeen = Instant(reader.GetInt64(9)),
                LastSeen = Instant(reader.GetInt64(10)),
            };
            if (!reader.IsDBNull(4))
            {
                f.Mx.AddRange(reader.Strings(4));
            }

            fetches.Add(f);
        }

        return fetches;
    }

    private static DomainTotals Totals(Direction direction, string domain, long sessions, long failures) => new()
    {
        Direction = direction,
        Domain = domain,
        Sessions = sessions,
        Failures = failures,
        FailureRate = sessions == 0 ? 0 : (double)failures / sessions,
    };

    private Task<DbConnection> OpenAsync(CancellationToken cancellationToken) => store.OpenReaderAsync(cancellationToken);

    private static DbCommand Scalar(DbConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            // Only the parameters the statement names: PostgreSQL refuses a value for a parameter it does not see.
            if (sql.Contains(name, StringComparison.Ordinal))
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = name;
                parameter.Value = value ?? DBNull.Value;
                command.Parameters.Add(parameter);
            }
        }

        return command;
    }

    private static string Text(DbDataReader reader, int column) => reader.IsDBNull(column) ? string.Empty : reader.GetString(column);


    private static string Instant(long unixMs) => DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
}
