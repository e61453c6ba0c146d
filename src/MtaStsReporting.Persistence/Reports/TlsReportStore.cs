using System.IO.Compression;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using MtaStsReporting.Domain.TlsRpt;

namespace MtaStsReporting.Persistence.Reports;

/// <summary>Where a report came from.</summary>
/// <param name="Kind"><c>imap</c>, <c>file</c>, <c>https</c> or <c>grpc</c>.</param>
/// <param name="Name">Mailbox and folder, file path, or remote address.</param>
/// <param name="MessageId">Message-ID of the carrying mail.</param>
public sealed record ReportSource(string Kind, string Name, string? MessageId);

/// <summary>A DKIM verdict on the mail that carried a report.</summary>
/// <param name="Result"><c>pass</c>, <c>fail</c>, <c>temperror</c> (the key could not be looked up) or <c>none</c>.</param>
/// <param name="Domain">The signing domain (d=) the verdict is about.</param>
/// <param name="Detail">Why, for fail.</param>
public sealed record DkimVerdict(string Result, string? Domain, string? Detail)
{
    /// <summary>Not a mail, or a mail without a signature.</summary>
    public static readonly DkimVerdict None = new("none", null, null);
}

/// <summary>A report read from some input, ready to be stored.</summary>
public sealed record IncomingReport(TlsReport Report, ReportSource Source, DkimVerdict Dkim, ReadOnlyMemory<byte> Original, string OriginalMediaType);

/// <summary>Input that was refused, and why.</summary>
/// <param name="Source">Where it came from.</param>
/// <param name="Status"><c>invalid</c> or <c>not-a-report</c>.</param>
/// <param name="Reason">Why.</param>
public sealed record Rejection(ReportSource Source, string Status, string Reason);

/// <summary>What storing a report did.</summary>
public enum ReportStoreResult
{
    /// <summary>Stored now.</summary>
    Imported,

    /// <summary>The same organisation, report id and date range were stored before; nothing was added.</summary>
    Duplicate,

    /// <summary>
    /// A duplicate whose figures differ from the stored report's (a reporter that sent two
    /// versions under one id): the first is kept, and the difference is said.
    /// </summary>
    ConflictingDuplicate,
}

/// <summary>What storing one report did, and for a conflicting duplicate how it differs.</summary>
public sealed record ReportStoreOutcome(ReportStoreResult Result, string? Difference = null);

/// <summary>
/// Stores inbound reports. Many reports go in one transaction (an import of a folder, a burst
/// of mail), so that the cost of a durable commit is shared.
/// </summary>
public sealed class TlsReportStore(string connectionString, SqliteDurability durability, TimeProvider time)
{
    /// <summary>The status a conflicting duplicate is recorded with among the refusals.</summary>
    public const string ConflictStatus = "duplicate-conflict";

    /// <summary>
    /// Stores reports, and records refused input, in one transaction. A report seen before
    /// (same organisation, report id and date range), also within the batch, is a duplicate:
    /// the unique index decides, so concurrent writers cannot both store one report.
    /// Hand-written SQL: EF's change tracker cost more than everything else in an import.
    /// </summary>
    /// <exception cref="StoreUnavailableException">Nothing was committed (a full disk, an I/O error); the input may be offered again.</exception>
    public async Task<IReadOnlyList<ReportStoreOutcome>> SaveAsync(IReadOnlyList<IncomingReport> reports, IReadOnlyList<Rejection> rejections, CancellationToken cancellationToken)
    {
        try
        {
            return await SaveCoreAsync(reports, rejections, cancellationToken);
        }
        catch (SqliteException ex)
        {
            // The same exception as the relay path's, so that every entry point answers alike.
            throw new StoreUnavailableException("The store could not commit: " + ex.Message, ex);
        }
    }

    private async Task<IReadOnlyList<ReportStoreOutcome>> SaveCoreAsync(IReadOnlyList<IncomingReport> reports, IReadOnlyList<Rejection> rejections, CancellationToken cancellationToken)
    {
        await using var connection = await SqliteDatabase.OpenWriterAsync(connectionString, durability, cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var insertReport = Sql.Command(connection,
            """
            INSERT INTO tlsrpt_reports (organization_name, report_id, start_datetime, end_datetime, contact_info, flags, success_count, failure_count,
              source_kind, source_name, message_id, dkim_result, dkim_domain, received_at, original_media_type, original)
            VALUES ($org, $id, $start, $end, $contact, $flags, $s, $f, $kind, $name, $mid, $dkim, $dkimd, $at, $mt, $orig)
            ON CONFLICT (organization_name, report_id, start_datetime, end_datetime) DO NOTHING
            RETURNING id
            """,
            "$org", "$id", "$start", "$end", "$contact", "$flags", "$s", "$f", "$kind", "$name", "$mid", "$dkim", "$dkimd", "$at", "$mt", "$orig");
        await using var insertPolicy = Sql.Command(connection,
            """
            INSERT INTO tlsrpt_report_policies (tls_report_id, position, policy_type, policy_strings, policy_domain, mx_hosts, success_count, failure_count)
            VALUES ($r, $pos, $type, $strings, $domain, $mx, $s, $f) RETURNING id
            """,
            "$r", "$pos", "$type", "$strings", "$domain", "$mx", "$s", "$f");
        await using var insertDetail = Sql.Command(connection,
            """
            INSERT INTO tlsrpt_failure_details (tls_report_policy_id, result_type, sending_mta_ip, receiving_mx_hostname, receiving_mx_helo, receiving_ip,
              failed_session_count, additional_information, failure_reason_code)
            VALUES ($p, $rt, $smi, $rmh, $helo, $rip, $c, $ai, $frc)
            """,
            "$p", "$rt", "$smi", "$rmh", "$helo", "$rip", "$c", "$ai", "$frc");
        await using var insertRejection = Sql.Command(connection,
            "INSERT INTO tlsrpt_rejections (source_kind, source_name, message_id, status, reason, rejected_at) VALUES ($k, $n, $m, $s, $r, $at)",
            "$k", "$n", "$m", "$s", "$r", "$at");
        // The daily roll-ups that queries read, in the same transaction as the report.
        await using var upsertPolicyContent = Sql.Command(connection,
            "INSERT INTO policies (policy_key, policy_type, policy_strings, mx_hosts, mode) VALUES ($k, $t, $p, $m, $mode) ON CONFLICT (policy_key) DO NOTHING",
            "$k", "$t", "$p", "$m", "$mode");
        await using var upsertDay = Sql.Command(connection,
            """
            INSERT INTO inbound_daily_counts (day, policy_domain, organization_name, policy_key, success_count, failure_count, report_count)
            VALUES ($d, $dom, $org, $k, $s, $f, 1)
            ON CONFLICT (day, policy_domain, organization_name, policy_key) DO UPDATE SET
              success_count = success_count + excluded.success_count,
              failure_count = failure_count + excluded.failure_count,
              report_count = report_count + 1
            """,
            "$d", "$dom", "$org", "$k", "$s", "$f");
        await using var upsertDayFailure = Sql.Command(connection,
            """
            INSERT INTO inbound_daily_failures (day, policy_domain, organization_name, policy_key, detail_key, result_type, sending_mta_ip,
              receiving_mx_hostname, receiving_ip, failed_session_count)
            VALUES ($d, $dom, $org, $k, $dk, $rt, $smi, $rmh, $rip, $c)
            ON CONFLICT (day, policy_domain, organization_name, policy_key, detail_key) DO UPDATE SET
              failed_session_count = failed_session_count + excluded.failed_session_count
            """,
            "$d", "$dom", "$org", "$k", "$dk", "$rt", "$smi", "$rmh", "$rip", "$c");
        // A duplicate's stored figures, to tell a resent copy from a second version of the report.
        await using var storedFigures = Sql.Command(connection,
            """
            SELECT r.success_count, r.failure_count,
              (SELECT COUNT(*) FROM tlsrpt_report_policies p WHERE p.tls_report_id = r.id),
              (SELECT COALESCE(SUM(d.failed_session_count), 0) FROM tlsrpt_failure_details d JOIN tlsrpt_report_policies p ON d.tls_report_policy_id = p.id WHERE p.tls_report_id = r.id)
            FROM tlsrpt_reports r
            WHERE r.organization_name = $org AND r.report_id = $id AND r.start_datetime = $start AND r.end_datetime = $end
            """,
            "$org", "$id", "$start", "$end");
        foreach (var c in new[] { insertReport, insertPolicy, insertDetail, insertRejection, upsertPolicyContent, upsertDay, upsertDayFailure, storedFigures })
        {
            c.Transaction = transaction;
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var results = new ReportStoreOutcome[reports.Count];
        for (var i = 0; i < reports.Count; i++)
        {
            var incoming = reports[i];
            var r = incoming.Report;
            var id = insertReport.Bind(
                r.OrganizationName, r.ReportId, r.StartDatetime.ToUnixTimeMilliseconds(), r.EndDatetime.ToUnixTimeMilliseconds(), r.ContactInfo,
                JsonSerializer.Serialize(r.Flags.Select(f => new { code = f.Code, detail = f.Detail })), r.SuccessCount, r.FailureCount,
                incoming.Source.Kind, incoming.Source.Name, incoming.Source.MessageId, incoming.Dkim.Result, incoming.Dkim.Domain, now,
                incoming.OriginalMediaType, Gzip(incoming.Original.Span)).ExecuteScalar();
            if (id is null)
            {
                var difference = Difference(storedFigures.Bind(r.OrganizationName, r.ReportId, r.StartDatetime.ToUnixTimeMilliseconds(), r.EndDatetime.ToUnixTimeMilliseconds()), r);
                results[i] = difference is null ? new ReportStoreOutcome(ReportStoreResult.Duplicate) : new ReportStoreOutcome(ReportStoreResult.ConflictingDuplicate, difference);
                if (difference is not null)
                {
                    // On record beside the refusals, so that it can be found after the mail has been moved away.
                    insertRejection.Bind(incoming.Source.Kind, incoming.Source.Name, incoming.Source.MessageId, ConflictStatus,
                        $"{r.OrganizationName} report {r.ReportId} {difference}", now).ExecuteNonQuery();
                }

                continue;
            }

            results[i] = new ReportStoreOutcome(ReportStoreResult.Imported);
            // A report covers one UTC day (RFC 8460 §4.1); one that spans more is counted on its first.
            var day = DateOnly.FromDateTime(r.StartDatetime.UtcDateTime).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            for (var position = 0; position < r.Policies.Count; position++)
            {
                var p = r.Policies[position];
                var strings = JsonSerializer.Serialize(p.PolicyStrings);
                var mx = JsonSerializer.Serialize(p.MxHosts);
                var policyId = insertPolicy.Bind(id, position, p.PolicyType, strings, p.PolicyDomain,
                    mx, p.TotalSuccessfulSessionCount, p.TotalFailureSessionCount).ExecuteScalar();
                foreach (var d in p.FailureDetails)
                {
                    insertDetail.Bind(policyId, d.ResultType, d.SendingMtaIp, d.ReceivingMxHostname, d.ReceivingMxHelo, d.ReceivingIp,
                        d.FailedSessionCount, d.AdditionalInformation, d.FailureReasonCode).ExecuteNonQuery();
                }

                // A policy without a domain cannot be attributed to one of ours: it stays in the
                // report (flagged) but not in the per-domain roll-ups.
                if (p.PolicyDomain is null)
                {
                    continue;
                }

                var key = PolicyContent.Key(p.PolicyType, p.PolicyStrings, p.MxHosts);
                upsertPolicyContent.Bind(key, p.PolicyType, strings, mx, PolicyContent.Mode(p.PolicyStrings)).ExecuteNonQuery();
                upsertDay.Bind(day, p.PolicyDomain, r.OrganizationName, key, p.TotalSuccessfulSessionCount, p.TotalFailureSessionCount).ExecuteNonQuery();
                foreach (var d in p.FailureDetails)
                {
                    var detailKey = PolicyContent.Key(d.ResultType, [d.SendingMtaIp ?? string.Empty, d.ReceivingMxHostname ?? string.Empty, d.ReceivingIp ?? string.Empty], []);
                    upsertDayFailure.Bind(day, p.PolicyDomain, r.OrganizationName, key, detailKey, d.ResultType, d.SendingMtaIp,
                        d.ReceivingMxHostname, d.ReceivingIp, d.FailedSessionCount).ExecuteNonQuery();
                }
            }
        }

        foreach (var rejection in rejections)
        {
            insertRejection.Bind(rejection.Source.Kind, rejection.Source.Name, rejection.Source.MessageId, rejection.Status, rejection.Reason, now).ExecuteNonQuery();
        }

        await transaction.CommitAsync(cancellationToken);
        return results;
    }

    /// <summary>How a duplicate's figures differ from the stored report's; null when they are the same.</summary>
    private static string? Difference(SqliteCommand storedFigures, TlsReport report)
    {
        using var reader = storedFigures.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        var stored = (Successes: reader.GetInt64(0), Failures: reader.GetInt64(1), Policies: reader.GetInt64(2), Details: reader.GetInt64(3));
        var copy = (Successes: report.SuccessCount, Failures: report.FailureCount, Policies: (long)report.Policies.Count,
            Details: report.Policies.Sum(p => p.FailureDetails.Sum(d => d.FailedSessionCount)));
        return stored == copy ? null
            : $"differs from the stored copy: {Figures(copy)} here, {Figures(stored)} stored (the first is kept)";

        static string Figures((long Successes, long Failures, long Policies, long Details) f) =>
            $"{f.Successes} successful and {f.Failures} failed sessions in {f.Policies} policies with {f.Details} failed sessions in details";
    }

    /// <summary>gzip of the original bytes; <see cref="Gunzip"/> gives them back.</summary>
    public static byte[] Gzip(ReadOnlySpan<byte> data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    /// <summary>The original bytes of a stored report.</summary>
    public static byte[] Gunzip(byte[] stored)
    {
        using var gzip = new GZipStream(new MemoryStream(stored), CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }
}
