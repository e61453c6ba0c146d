using System.IO.Compression;
using MimeKit;
using MimeKit.Cryptography;
using MtaStsReporting.Domain.TlsRpt.Outbound;

namespace MtaStsReporting.Daemon.Outbound;

/// <summary>
/// The mail that carries a report (RFC 8460 §5.3): <c>multipart/report; report-type=tlsrpt</c>
/// with a short text for people and the gzip report as <c>application/tlsrpt+gzip</c> under the
/// RFC's file name; the RFC's subject, <c>TLS-Report-Domain</c> and <c>TLS-Report-Submitter</c>;
/// <c>TLS-Required: No</c> (RFC 8689 §5) so that the very TLS problem being reported cannot hold
/// the report back; and a DKIM signature of the submitter (§5.3.1: reports must be signed).
/// </summary>
public static class ReportMessage
{
    /// <summary>The media type of a gzip report (§6.4).</summary>
    public const string GzipMediaType = "application/tlsrpt+gzip";

    /// <summary>The report compressed as sent (§5.3: "gzip").</summary>
    public static byte[] Gzip(byte[] json)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(json);
        }

        return buffer.ToArray();
    }

    /// <summary>The message, signed when <paramref name="signer"/> is given.</summary>
    public static MimeMessage Create(OutboundReport report, ReportSubmitter submitter, MailboxAddress from, IReadOnlyList<MailboxAddress> to, DateTimeOffset date, DkimSigner? signer)
    {
        var message = new MimeMessage { Subject = report.Subject(submitter), Date = date, MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId(submitter.Domain) };
        message.From.Add(from);
        message.To.AddRange(to);
        message.Headers.Add("TLS-Report-Domain", report.PolicyDomain);
        message.Headers.Add("TLS-Report-Submitter", submitter.Domain);
        message.Headers.Add("TLS-Required", "No");

        var text = new TextPart("plain")
        {
            Text = $"This is an aggregate TLS report (RFC 8460) from {submitter.OrganizationName} ({submitter.Domain}) for {report.PolicyDomain}, " +
                   $"covering {report.Start:yyyy-MM-dd'T'HH:mm:ss'Z'} to {report.End:yyyy-MM-dd'T'HH:mm:ss'Z'}: {report.Sessions} sessions, {report.Failures} failed.\r\n" +
                   $"Report-ID: {report.ReportId}\r\n",
        };
        var attachment = new MimePart(GzipMediaType)
        {
            Content = new MimeContent(new MemoryStream(Gzip(report.Json))),
            ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
            ContentTransferEncoding = ContentEncoding.Base64,
            FileName = report.FileName(submitter),
        };
        var body = new MultipartReport("tlsrpt") { text, attachment };
        message.Body = body;

        if (signer is not null)
        {
            message.Prepare(EncodingConstraint.SevenBit);
            signer.Sign(message, SignedHeaders);
        }

        return message;
    }

    /// <summary>The headers the signature covers: the ones a receiver reads to know what the report is and who sent it.</summary>
    public static readonly HeaderId[] SignedHeaders =
    [
        HeaderId.From, HeaderId.To, HeaderId.Subject, HeaderId.Date, HeaderId.MessageId, HeaderId.MimeVersion, HeaderId.ContentType,
    ];

    /// <summary>A signer for the key file, domain and selector (relaxed/relaxed, as most signers use, so that gateways that refold headers do not break it).</summary>
    public static DkimSigner Signer(string keyFile, string domain, string selector) => new(keyFile, domain, selector)
    {
        HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
        BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
        SignatureAlgorithm = DkimSignatureAlgorithm.RsaSha256,
    };
}
