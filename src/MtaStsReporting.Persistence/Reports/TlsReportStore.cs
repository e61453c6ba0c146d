using System.IO.Compression;
using System.Text.Json;
using MtaStsReporting.Domain.TlsRpt;
using MtaStsReporting.Persistence.Schema;
using MtaStsReporting.Persistence.Store;

namespace MtaStsReporting.Persistence.Reports;

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
/// The inbound report part of the store. Many reports go in one unit of work (an import of a
/// folder, a burst of mail), so that the cost of a durable commit is shared; the per-day
/// roll-ups that queries read are written in the same transaction as the reports.
/// Hand-written SQL: EF's change tracker cost more than everything else in an import.
/// </summary>
public sealed class TlsReportStore(ReportingStore store)
{
    /// <summary>The status a conflicting duplicate is recorded with among the refusals.</summary>
    public const string ConflictStatus = "duplicate-conflict";

    /// <summary>
    /// Stores reports, and records refused input, in one transaction. A report seen before
    /// (same organisation, report id and date range), also within the batch, is a duplicate:
    /// the unique index decides, so concurrent writers (other instances) cannot both store one report.
    /// </summary>
    /// <exception cref="StoreUnavailableException">Nothing was committed (a full disk, an I/O error); the input may be offered again.</exception>
    public Task<IReadOnlyList<ReportStoreOutcome>> SaveAsync(IReadOnlyList<IncomingReport> reports, IReadOnlyList<Rejection> rejections, CancellationToken cancellationToken) =>
        store.WriteAsync(new WriteUnit<IReadOnlyList<ReportStoreOutcome>>(s => Save(s, reports, rejections)), cancellationToken);

    private static ReportStoreOutcome[] Save(WriteSession session, IReadOnlyList<IncomingReport> reports, IReadOnlyList<Rejection> rejections)
    {
        var now = session.Now.ToUnixTimeMilliseconds();
        var results = new ReportStoreOutcome[reports.Count];
        var rollup = new InboundDailyDelta();
        for (var i = 0; i < reports.Count; i++)
        {
            var incoming = reports[i];
            var r = incoming.Report;
            var start = r.StartDatetime.ToUnixTimeMilliseconds();
            var end = r.EndDatetime.ToUnixTimeMilliseconds();
            var id = session.Scalar(TlsReportsTable.Insert,
                r.OrganizationName, r.ReportId, start, end, r.ContactInfo,
                JsonSerializer.Serialize(r.Flags.Select(f => new { code = f.Code, detail = f.Detail })), r.SuccessCount, r.FailureCount,
                incoming.Source.Kind, incoming.Source.Name, incoming.Source.MessageId, incoming.Dkim.Result, incoming.Dkim.Domain, now,
                incoming.OriginalMediaType, Gzip(incoming.Original.Span));
            if (id is null)
            {
                var difference = Difference(session, r);
                results[i] = difference is null ? new ReportStoreOutcome(ReportStoreResult.Duplicate) : new ReportStoreOutcome(ReportStoreResult.ConflictingDuplicate, difference);
                if (difference is not null)
                {
                    // On record beside the refusals, so that it can be found after the mail has been moved away.
                    session.Execute(RejectionsTable.Insert, incoming.Source.Kind, incoming.Source.Name, incoming.Source.MessageId, ConflictStatus,
                        $"{r.OrganizationName} report {r.ReportId} {difference}", now);
                }

                continue;
            }

            results[i] = new ReportStoreOutcome(ReportStoreResult.Imported);
            for (var position = 0; position < r.Policies.Count; position++)
            {
                var p = r.Policies[position];
                var policyId = session.Scalar(TlsReportsTable.InsertPolicy, id, position, p.PolicyType, JsonSerializer.Serialize(p.PolicyStrings), p.PolicyDomain,
                    JsonSerializer.Serialize(p.MxHosts), p.TotalSuccessfulSessionCount, p.TotalFailureSessionCount);
                foreach (var d in p.FailureDetails)
                {
                    session.Execute(TlsReportsTable.InsertDetail, policyId, d.ResultType, d.SendingMtaIp, d.ReceivingMxHostname, d.ReceivingMxHelo, d.ReceivingIp,
                        d.FailedSessionCount, d.AdditionalInformation, d.FailureReasonCode);
                }
            }

            rollup.Add(r);
        }

        WriteRollup(session, rollup);
        foreach (var rejection in rejections)
        {
            session.Execute(RejectionsTable.Insert, rejection.Source.Kind, rejection.Source.Name, rejection.Source.MessageId, rejection.Status, rejection.Reason, now);
        }

        return results;
    }

    private static void WriteRollup(WriteSession session, InboundDailyDelta rollup)
    {
        foreach (var (key, p) in session.InWriteOrder(rollup.Policies, k => k))
        {
            session.Execute(PoliciesTable.Insert, key, p.PolicyType, JsonSerializer.Serialize(p.PolicyStrings), JsonSerializer.Serialize(p.MxHosts), p.Mode);
        }

        foreach (var (k, c) in session.InWriteOrder(rollup.Days, RowOrder))
        {
            session.Execute(InboundDailyCountsTable.Add, k.Day, k.PolicyDomain, k.OrganizationName, k.PolicyKey, c.Successes, c.Failures, c.Reports);
        }

        foreach (var (k, c) in session.InWriteOrder(rollup.Failures, k => RowOrder(k.Row) + "|" + k.DetailKey))
        {
            session.Execute(InboundDailyFailuresTable.Add, k.Row.Day, k.Row.PolicyDomain, k.Row.OrganizationName, k.Row.PolicyKey, k.DetailKey,
                c.ResultType, c.SendingMtaIp, c.ReceivingMxHostname, c.ReceivingIp, c.Count);
        }

        Rollups.DomainTotalsWriter.Add(session, Domain.Rollups.TrafficDirection.Inbound,
            rollup.Days.Select(r => (r.Key.Day, r.Key.PolicyDomain, r.Value.Successes + r.Value.Failures, r.Value.Failures)));

        static string RowOrder(InboundDayKey k) => $"{k.Day:O}|{k.PolicyDomain}|{k.OrganizationName}|{k.PolicyKey}";
    }

    /// <summary>How a duplicate's figures differ from the stored report's; null when they are the same.</summary>
    private static string? Difference(WriteSession session, TlsReport report)
    {
        using var reader = session.Reader(TlsReportsTable.Figures, report.OrganizationName, report.ReportId,
            report.StartDatetime.ToUnixTimeMilliseconds(), report.EndDatetime.ToUnixTimeMilliseconds());
        if (!reader.Read())
        {
            return null;
        }

        var stored = (Successes: reader.Int64(0), Failures: reader.Int64(1), Policies: reader.Int64(2), Details: reader.Int64(3));
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
