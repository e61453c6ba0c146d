using System.IO.Compression;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using MtaStsReporting.Domain.TlsRpt;
using MtaStsReporting.Persistence.Schema;

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

/// <summary>What storing a report did.</summary>
public enum ReportStoreResult
{
    /// <summary>Stored now.</summary>
    Imported,

    /// <summary>The same organisation, report id and date range were stored before; nothing was added.</summary>
    Duplicate,
}

/// <summary>
/// Stores inbound reports. Many reports go in one transaction (an import of a folder, a burst
/// of mail), so that the cost of a durable commit is shared.
/// </summary>
public sealed class TlsReportStore(string connectionString, SqliteDurability durability, TimeProvider time)
{
    /// <summary>Stores reports in one transaction; a report seen before is a duplicate, also within the batch.</summary>
    public async Task<IReadOnlyList<ReportStoreResult>> SaveAsync(IReadOnlyList<IncomingReport> reports, CancellationToken cancellationToken)
    {
        await using var connection = await SqliteDatabase.OpenWriterAsync(connectionString, durability, cancellationToken);
        await using var db = new ReportingDbContext(new DbContextOptionsBuilder<ReportingDbContext>().UseSqlite(connection).Options);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var results = new ReportStoreResult[reports.Count];
        var seen = new HashSet<(string, string, long, long)>();
        var now = time.GetUtcNow();
        for (var i = 0; i < reports.Count; i++)
        {
            var r = reports[i].Report;
            var key = (r.OrganizationName, r.ReportId, r.StartDatetime.ToUnixTimeMilliseconds(), r.EndDatetime.ToUnixTimeMilliseconds());
            if (!seen.Add(key) || await ExistsAsync(db, r, cancellationToken))
            {
                results[i] = ReportStoreResult.Duplicate;
                continue;
            }

            db.TlsReports.Add(ToRow(reports[i], now));
            results[i] = ReportStoreResult.Imported;
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return results;
    }

    /// <summary>Records refused input with its reason.</summary>
    public async Task RejectAsync(ReportSource source, string status, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await SqliteDatabase.OpenWriterAsync(connectionString, durability, cancellationToken);
        await using var db = new ReportingDbContext(new DbContextOptionsBuilder<ReportingDbContext>().UseSqlite(connection).Options);
        db.ReportRejections.Add(new ReportRejectionRow
        {
            SourceKind = source.Kind,
            SourceName = source.Name,
            MessageId = source.MessageId,
            Status = status,
            Reason = reason,
            RejectedAt = time.GetUtcNow(),
        });
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>True when this report (organisation, id, date range) is stored.</summary>
    public async Task<bool> ContainsAsync(TlsReport report, CancellationToken cancellationToken)
    {
        await using var db = new ReportingDbContext(SqliteDatabase.ContextOptions(connectionString));
        return await ExistsAsync(db, report, cancellationToken);
    }

    private static Task<bool> ExistsAsync(ReportingDbContext db, TlsReport r, CancellationToken cancellationToken) =>
        db.TlsReports.AnyAsync(
            x => x.OrganizationName == r.OrganizationName && x.ReportId == r.ReportId && x.StartDatetime == r.StartDatetime && x.EndDatetime == r.EndDatetime,
            cancellationToken);

    private static TlsReportRow ToRow(IncomingReport incoming, DateTimeOffset now)
    {
        var r = incoming.Report;
        return new TlsReportRow
        {
            OrganizationName = r.OrganizationName,
            ReportId = r.ReportId,
            StartDatetime = r.StartDatetime,
            EndDatetime = r.EndDatetime,
            ContactInfo = r.ContactInfo,
            Flags = JsonSerializer.Serialize(r.Flags.Select(f => new { code = f.Code, detail = f.Detail })),
            SuccessCount = r.SuccessCount,
            FailureCount = r.FailureCount,
            SourceKind = incoming.Source.Kind,
            SourceName = incoming.Source.Name,
            MessageId = incoming.Source.MessageId,
            DkimResult = incoming.Dkim.Result,
            DkimDomain = incoming.Dkim.Domain,
            ReceivedAt = now,
            OriginalMediaType = incoming.OriginalMediaType,
            Original = Gzip(incoming.Original.Span),
            Policies = r.Policies.Select((p, i) => new TlsReportPolicyRow
            {
                Position = i,
                PolicyType = p.PolicyType,
                PolicyStrings = JsonSerializer.Serialize(p.PolicyStrings),
                PolicyDomain = p.PolicyDomain,
                MxHosts = JsonSerializer.Serialize(p.MxHosts),
                SuccessCount = p.TotalSuccessfulSessionCount,
                FailureCount = p.TotalFailureSessionCount,
                FailureDetails = p.FailureDetails.Select(d => new TlsReportFailureRow
                {
                    ResultType = d.ResultType,
                    SendingMtaIp = d.SendingMtaIp,
                    ReceivingMxHostname = d.ReceivingMxHostname,
                    ReceivingMxHelo = d.ReceivingMxHelo,
                    ReceivingIp = d.ReceivingIp,
                    FailedSessionCount = d.FailedSessionCount,
                    AdditionalInformation = d.AdditionalInformation,
                    FailureReasonCode = d.FailureReasonCode,
                }).ToList(),
            }).ToList(),
        };
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
