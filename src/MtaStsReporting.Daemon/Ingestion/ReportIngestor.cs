using MimeKit;
using MtaStsReporting.Daemon.Hosting;
using MtaStsReporting.Domain.TlsRpt;
using MtaStsReporting.Persistence.Reports;

namespace MtaStsReporting.Daemon.Ingestion;

/// <summary>What an inbound input is.</summary>
public enum InboundKind
{
    /// <summary>A file: a mail or a payload, decided by its bytes.</summary>
    File,

    /// <summary>A mail message (IMAP).</summary>
    Mail,

    /// <summary>A bare report payload (HTTPS upload).</summary>
    Payload,
}

/// <summary>One input to ingest.</summary>
public sealed record InboundItem(ReportSource Source, ReadOnlyMemory<byte> Bytes, InboundKind Kind, string? FileName = null);

/// <summary>The statuses an input can end in.</summary>
public static class IngestStatus
{
    /// <summary>Stored now.</summary>
    public const string Imported = "imported";

    /// <summary>Stored before; nothing added.</summary>
    public const string Duplicate = "duplicate";

    /// <summary>Stored before with other figures (a second version under one id): the first is kept, the conflict recorded.</summary>
    public const string Conflict = TlsReportStore.ConflictStatus;

    /// <summary>Carries a report that cannot be accepted.</summary>
    public const string Invalid = "invalid";

    /// <summary>Not a report.</summary>
    public const string NotAReport = "not-a-report";
}

/// <summary>What became of one input.</summary>
public sealed record IngestResult(InboundItem Item, string Status, TlsReport? Report, string? Error);

/// <summary>
/// The one path every inbound report takes, whatever brought it (IMAP, file, HTTPS, gRPC):
/// read, check DKIM for mail, store with duplicate detection, record refusals with their reason.
/// </summary>
public sealed class ReportIngestor(ReportReader reader, TlsReportStore store, IDkimChecker dkim, IngestionOptions options, Observability.DaemonMetrics metrics, ILogger<ReportIngestor> logger)
{
    /// <summary>The reader (and its limits).</summary>
    public ReportReader Reader => reader;

    /// <summary>
    /// Ingests inputs; the reports among them are stored in one transaction. Returns once that
    /// is committed, so a caller may then acknowledge (move the mail, answer 2xx).
    /// </summary>
    /// <param name="items">The inputs.</param>
    /// <param name="recordOtherMail">Record inputs that are no report among the refusals (a mailbox that leaves such mail in place would record it at every start).</param>
    /// <param name="cancellationToken">Cancels before the commit.</param>
    public async Task<IReadOnlyList<IngestResult>> IngestAsync(IReadOnlyList<InboundItem> items, CancellationToken cancellationToken, bool recordOtherMail = true)
    {
        var results = new IngestResult[items.Count];
        var toStore = new List<(int Index, IncomingReport Report)>();

        // Reading (MIME, decompression, JSON) is pure CPU work on independent inputs: spread it
        // over the cores. Storing stays one transaction.
        var reads = new ReportReadResult[items.Count];
        Parallel.For(0, items.Count, new ParallelOptions { CancellationToken = cancellationToken }, i => reads[i] = items[i].Kind switch
        {
            InboundKind.Mail => reader.ReadMail(items[i].Bytes),
            InboundKind.Payload => reader.ReadPayload(items[i].Bytes, items[i].FileName),
            _ => reader.ReadFile(items[i].Bytes, items[i].FileName ?? items[i].Source.Name),
        });

        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            var read = reads[i];
            var source = item.Source with { MessageId = item.Source.MessageId ?? read.MessageId };
            if (read.Status != ReadStatus.Report)
            {
                results[i] = new IngestResult(item, read.Status == ReadStatus.Invalid ? IngestStatus.Invalid : IngestStatus.NotAReport, null, read.Error);
                continue;
            }

            var verdict = read.Message is null ? DkimVerdict.None : await dkim.CheckAsync(read.Message, cancellationToken);
            if (options.RequireAlignedDkim && !IsAlignedPass(verdict, read.Message, read.Report!))
            {
                results[i] = new IngestResult(item, IngestStatus.Invalid, read.Report,
                    $"Ingestion:RequireAlignedDkim is on and the DKIM verdict is {verdict.Result}{(verdict.Domain is null ? string.Empty : " for " + verdict.Domain)}" +
                    (verdict.Detail is null ? string.Empty : $" ({verdict.Detail})") + ", not a pass aligned with the reporter");
                continue;
            }

            toStore.Add((i, new IncomingReport(read.Report!, source, verdict, item.Bytes, read.OriginalMediaType)));
            results[i] = new IngestResult(item, IngestStatus.Imported, read.Report, null);
        }

        var rejections = results
            .Where(r => r.Status == IngestStatus.Invalid || (recordOtherMail && r.Status == IngestStatus.NotAReport))
            .Select(r => new Rejection(r.Item.Source, r.Status, r.Error ?? string.Empty))
            .ToList();
        var stored = await store.SaveAsync(toStore.Select(s => s.Report).ToList(), rejections, cancellationToken);
        for (var k = 0; k < toStore.Count; k++)
        {
            var index = toStore[k].Index;
            results[index] = stored[k].Result switch
            {
                ReportStoreResult.Duplicate => results[index] with { Status = IngestStatus.Duplicate },
                ReportStoreResult.ConflictingDuplicate => results[index] with { Status = IngestStatus.Conflict, Error = stored[k].Difference },
                _ => results[index],
            };
        }

        foreach (var r in results)
        {
            metrics.Report(r.Status, r.Item.Source.Kind);
            if (r.Status is IngestStatus.Invalid or IngestStatus.NotAReport)
            {
                IngestLog.Refused(logger, r.Item.Source.Kind, r.Item.Source.Name, r.Status, r.Error ?? string.Empty);
            }
            else if (r.Status == IngestStatus.Conflict)
            {
                IngestLog.Conflict(logger, r.Item.Source.Kind, r.Item.Source.Name, r.Report!.OrganizationName, r.Report.ReportId, r.Error ?? string.Empty);
            }
            else
            {
                IngestLog.Stored(logger, r.Item.Source.Kind, r.Item.Source.Name, r.Status, r.Report!.OrganizationName, r.Report.ReportId);
            }
        }

        return results;
    }

    /// <summary>Records input refused before it could be read (too large to download).</summary>
    public async Task RejectAsync(ReportSource source, string status, string reason, CancellationToken cancellationToken)
    {
        IngestLog.Refused(logger, source.Kind, source.Name, status, reason);
        metrics.Report(status, source.Kind);
        await store.SaveAsync([], [new Rejection(source, status, reason)], cancellationToken);
    }

    /// <summary>
    /// A pass whose signing domain is the reporter's domain or shares it as parent or child
    /// (relaxed alignment). The reporter's domain comes from TLS-Report-Submitter, From, and
    /// contact-info.
    /// </summary>
    internal static bool IsAlignedPass(DkimVerdict verdict, MimeMessage? message, TlsReport report)
    {
        if (verdict.Result != "pass" || verdict.Domain is null)
        {
            return false;
        }

        var candidates = new List<string>();
        if (message?.Headers["TLS-Report-Submitter"] is { } submitter)
        {
            candidates.Add(submitter.Trim());
        }

        candidates.AddRange(message?.From.Mailboxes.Select(m => m.Domain) ?? []);
        if (report.ContactInfo is { } contact && contact.Contains('@'))
        {
            candidates.Add(contact[(contact.LastIndexOf('@') + 1)..]);
        }

        var d = verdict.Domain.TrimEnd('.').ToLowerInvariant();
        return candidates.Select(c => c.TrimEnd('.').ToLowerInvariant()).Any(c =>
            c == d || c.EndsWith("." + d, StringComparison.Ordinal) || d.EndsWith("." + c, StringComparison.Ordinal));
    }
}

internal static partial class IngestLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Report from {Kind} {Source}: {Status} ({Organization}, {ReportId})")]
    public static partial void Stored(ILogger logger, string kind, string source, string status, string organization, string reportId);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "Input from {Kind} {Source} refused as {Status}: {Reason}")]
    public static partial void Refused(ILogger logger, string kind, string source, string status, string reason);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "Report from {Kind} {Source} ({Organization}, {ReportId}) was stored before with other figures: {Difference}")]
    public static partial void Conflict(ILogger logger, string kind, string source, string organization, string reportId, string difference);
}
