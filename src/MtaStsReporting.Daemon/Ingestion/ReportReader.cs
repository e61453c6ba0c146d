using System.Text.RegularExpressions;
using MimeKit;
using MtaStsReporting.Domain.TlsRpt;

namespace MtaStsReporting.Daemon.Ingestion;

/// <summary>What reading an input found.</summary>
public enum ReadStatus
{
    /// <summary>A report was read (possibly with flags).</summary>
    Report,

    /// <summary>It carries a report that cannot be read, or breaks a limit.</summary>
    Invalid,

    /// <summary>It is not a report at all (a bounce, an auto-reply, spam).</summary>
    NotAReport,
}

/// <summary>The outcome of reading a mail or a payload.</summary>
public sealed record ReportReadResult(ReadStatus Status, TlsReport? Report, string? Error, string OriginalMediaType, string? MessageId, MimeMessage? Message)
{
    internal static ReportReadResult Invalid(string error, string mediaType, string? messageId = null, MimeMessage? message = null) =>
        new(ReadStatus.Invalid, null, error, mediaType, messageId, message);
}

/// <summary>
/// Reads reports from mail (RFC 8460 §5.3 and what real senders do instead, SPEC.md) and from
/// bare payloads (.json, .json.gz, .gz, .zip). Pure: no I/O, no DNS.
/// </summary>
public sealed partial class ReportReader(ReportLimits limits)
{
    /// <summary>The limits in force.</summary>
    public ReportLimits Limits => limits;

    /// <summary>Reads a file: a mail (.eml and anything that is not JSON, gzip or zip) or a payload.</summary>
    public ReportReadResult ReadFile(ReadOnlyMemory<byte> bytes, string fileName)
    {
        if (bytes.Length > limits.MaxMessageBytes)
        {
            return ReportReadResult.Invalid($"the input is larger than {limits.MaxMessageBytes} bytes (Ingestion:Limits:MaxMessageBytes)", "application/octet-stream");
        }

        return ReportPayload.Sniff(bytes.Span) is null ? ReadMail(bytes) : ReadPayload(bytes, fileName);
    }

    /// <summary>Reads a bare report payload, as uploaded over HTTPS or kept in a file.</summary>
    public ReportReadResult ReadPayload(ReadOnlyMemory<byte> bytes, string? fileName)
    {
        var decoded = ReportPayload.Decode(bytes, limits);
        var mediaType = MediaTypeOf(ReportPayload.Sniff(bytes.Span));
        if (!decoded.IsValid)
        {
            return ReportPayload.Sniff(bytes.Span) is null || decoded.IsXml
                ? new ReportReadResult(ReadStatus.NotAReport, null, decoded.Error, mediaType, null, null)
                : ReportReadResult.Invalid(decoded.Error!, mediaType);
        }

        var parsed = TlsReportParser.Parse(decoded.Json, limits, DomainFromFileName(fileName));
        return parsed.IsValid
            ? new ReportReadResult(ReadStatus.Report, parsed.Report, null, mediaType, null, null)
            : ReportReadResult.Invalid(parsed.Error!, mediaType);
    }

    /// <summary>Reads a mail message (RFC 5322 bytes).</summary>
    public ReportReadResult ReadMail(ReadOnlyMemory<byte> bytes)
    {
        const string mediaType = "message/rfc822";
        if (bytes.Length > limits.MaxMessageBytes)
        {
            return ReportReadResult.Invalid($"the message is larger than {limits.MaxMessageBytes} bytes", mediaType);
        }

        MimeMessage message;
        try
        {
            using var stream = new MemoryStream(bytes.ToArray(), writable: false);
            message = MimeMessage.Load(ParserOptions.Default, stream);
        }
        catch (FormatException ex)
        {
            return new ReportReadResult(ReadStatus.NotAReport, null, "neither a report (JSON, gzip or zip) nor a mail message: " + ex.Message, mediaType, null, null);
        }

        var messageId = message.MessageId;
        var candidates = Candidates(message).ToList();
        if (candidates.Count == 0)
        {
            return new ReportReadResult(ReadStatus.NotAReport, null, "the message carries no report (no JSON, gzip or zip part)", mediaType, messageId, message);
        }

        var fallbackDomain = message.Headers["TLS-Report-Domain"]?.Trim() is { Length: > 0 } header ? header : DomainFromSubject(message.Subject);
        string? firstError = null;
        string? xml = null; // the payload's own words when a part held XML
        foreach (var (part, content) in candidates)
        {
            var decoded = ReportPayload.Decode(content, limits);
            if (decoded.IsXml)
            {
                xml = decoded.Error;
                continue;
            }

            if (!decoded.IsValid)
            {
                firstError ??= decoded.Error;
                continue;
            }

            var parsed = TlsReportParser.Parse(decoded.Json, limits, fallbackDomain ?? DomainFromFileName(part.FileName));
            if (!parsed.IsValid)
            {
                firstError ??= parsed.Error;
                continue;
            }

            var extra = new List<ReportFlag>();
            var declared = part.ContentType.MimeType.ToLowerInvariant();
            if (declared.EndsWith("gzip", StringComparison.Ordinal) && decoded.Format != PayloadFormat.Gzip)
            {
                extra.Add(new ReportFlag(ReportFlags.MediaTypeMismatch, $"part declared {declared} holds {decoded.Format.ToString().ToLowerInvariant()}"));
            }

            if (ReportIdFromSubject(message.Subject) is { } subjectId && subjectId != parsed.Report.ReportId)
            {
                extra.Add(new ReportFlag(ReportFlags.ReportIdDiffers, $"subject says '{subjectId}', report says '{parsed.Report.ReportId}'"));
            }

            var report = extra.Count == 0 ? parsed.Report : parsed.Report with { Flags = [.. parsed.Report.Flags, .. extra] };
            return new ReportReadResult(ReadStatus.Report, report, null, mediaType, messageId, message);
        }

        // A mailbox shared with DMARC (RFC 7489 §7.2) gets zip and gzip XML aggregate reports
        // with the same subject format: they are someone else's mail, not broken TLS reports.
        return firstError is null && xml is not null
            ? new ReportReadResult(ReadStatus.NotAReport, null, xml, mediaType, messageId, message)
            : ReportReadResult.Invalid(firstError!, mediaType, messageId, message);
    }

    /// <summary>
    /// Parts that may hold the report, best first: the RFC 8460 types, then types and file
    /// names that senders use instead, then a whole-message body that is itself a report.
    /// </summary>
    private static IEnumerable<(MimePart Part, byte[] Content)> Candidates(MimeMessage message)
    {
        var ranked = new List<(int Rank, MimePart Part, byte[] Content)>();
        foreach (var part in message.BodyParts.OfType<MimePart>())
        {
            var type = part.ContentType.MimeType.ToLowerInvariant();
            var name = part.FileName?.ToLowerInvariant() ?? string.Empty;
            var rank = type.StartsWith("application/tlsrpt", StringComparison.Ordinal) ? 0
                : type is "application/gzip" or "application/x-gzip" or "application/zip" or "application/x-zip-compressed" or "application/json" ? 1
                : name.EndsWith(".json", StringComparison.Ordinal) || name.EndsWith(".gz", StringComparison.Ordinal) || name.EndsWith(".zip", StringComparison.Ordinal) ? 2
                : type == "application/octet-stream" ? 3
                : part == message.Body ? 4 // a report that is the whole message body
                : -1;
            if (rank < 0 || part.Content is null)
            {
                continue;
            }

            using var content = new MemoryStream();
            part.Content.DecodeTo(content);
            var bytes = content.ToArray();
            if (ReportPayload.Sniff(bytes) is not null)
            {
                ranked.Add((rank, part, bytes));
            }
        }

        return ranked.OrderBy(c => c.Rank).Select(c => (c.Part, c.Content));
    }

    /// <summary>RFC 8460 §5.3 subject: "Report Domain: example.net Submitter: … Report-ID: &lt;…&gt;".</summary>
    internal static string? DomainFromSubject(string? subject) =>
        subject is not null && SubjectDomain().Match(subject) is { Success: true } m ? m.Groups[1].Value : null;

    internal static string? ReportIdFromSubject(string? subject) =>
        subject is not null && SubjectReportId().Match(subject) is { Success: true } m ? m.Groups[1].Value : null;

    /// <summary>RFC 8460 §5.3 file name: submitter!policy-domain!begin!end[!unique].json[.gz].</summary>
    internal static string? DomainFromFileName(string? fileName)
    {
        var parts = Path.GetFileName(fileName ?? string.Empty).Split('!');
        return parts.Length >= 4 ? parts[1] : null;
    }

    private static string MediaTypeOf(PayloadFormat? format) => format switch
    {
        PayloadFormat.Gzip => "application/gzip",
        PayloadFormat.Zip => "application/zip",
        _ => "application/json",
    };

    [GeneratedRegex(@"Report\s+Domain:\s*(\S+)", RegexOptions.IgnoreCase)]
    private static partial Regex SubjectDomain();

    [GeneratedRegex(@"Report-ID:\s*<?([^<>\s]+)>?", RegexOptions.IgnoreCase)]
    private static partial Regex SubjectReportId();
}
