using System.IO.Compression;
using System.Text;

namespace MtaStsReporting.Daemon.Tests.Support;

/// <summary>Reports, report mails and archives built in code, for tests that need many or odd ones.</summary>
public static class TestReports
{
    /// <summary>A valid RFC 8460 report for 2026-11-20: one sts policy for <paramref name="domain"/>, all sessions successful.</summary>
    public static byte[] Report(string reportId, string domain, string organization, long successes = 10,
        string start = "2026-11-20T00:00:00Z", string end = "2026-11-20T23:59:59Z", string contact = "tlsrpt@reporter.example") => Encoding.UTF8.GetBytes($$$"""
        {"organization-name":"{{{organization}}}","date-range":{"start-datetime":"{{{start}}}","end-datetime":"{{{end}}}"},
         "contact-info":"{{{contact}}}","report-id":"{{{reportId}}}",
         "policies":[{"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: testing","mx: mx.{{{domain}}}","max_age: 86400"],"policy-domain":"{{{domain}}}"},
           "summary":{"total-successful-session-count":{{{successes}}},"total-failure-session-count":0}}]}
        """);

    /// <summary>
    /// One reporter's report for one UTC day about one sts policy (its lines as given), with
    /// <paramref name="ok"/> successful sessions and the failure details as JSON (their counts
    /// summed into the total); the report id is day and domain unless given.
    /// </summary>
    public static byte[] DayReport(string organization, string day, string domain, string[] lines, long ok, string details, string? reportId = null)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(details);
        var failed = doc.RootElement.EnumerateArray().Sum(e => e.GetProperty("failed-session-count").GetInt64());
        return Encoding.UTF8.GetBytes($$"""
            {"organization-name":"{{organization}}","report-id":"{{reportId ?? $"{day}_{domain}"}}","contact-info":"tlsrpt@reporter.example",
             "date-range":{"start-datetime":"{{day}}T00:00:00Z","end-datetime":"{{day}}T23:59:59Z"},
             "policies":[{"policy":{"policy-type":"sts","policy-string":{{System.Text.Json.JsonSerializer.Serialize(lines)}},"policy-domain":"{{domain}}"},
               "summary":{"total-successful-session-count":{{ok}},"total-failure-session-count":{{failed}}},"failure-details":{{details}}}]}
            """);
    }

    /// <summary>A report mail (RFC 8460 §5.3 shape) around a body part the caller writes.</summary>
    public static byte[] Mail(string bodyPart, string contentType = "multipart/report; report-type=tlsrpt; boundary=\"outer\"", string extraHeaders = "", string? messageId = null)
    {
        var text = "From: reports@reporter.example\r\nTo: tlsrpt@example.com\r\nSubject: Report Domain: example.com Submitter: reporter.example Report-ID: <test>\r\n" +
                   $"Message-ID: <{messageId ?? Guid.NewGuid().ToString("N") + "@reporter.example"}>\r\nDate: Fri, 20 Nov 2026 12:00:00 +0000\r\nTLS-Report-Domain: example.com\r\nTLS-Report-Submitter: reporter.example\r\n" +
                   $"MIME-Version: 1.0\r\n{extraHeaders}Content-Type: {contentType}\r\n\r\n{bodyPart}";
        return Encoding.Latin1.GetBytes(text);
    }

    /// <summary>
    /// A whole RFC 8460 §5.3 report mail: <see cref="Report"/> gzip-compressed (or as plain JSON)
    /// in a multipart/report, with its own Message-ID.
    /// </summary>
    public static byte[] ReportMail(string reportId, string domain = "example.com", string organization = "Test Reporter", bool gzip = true, string? messageId = null, long successes = 10)
    {
        var report = Report(reportId, domain, organization, successes);
        return Mail(gzip
            ? Attachment("outer", "application/tlsrpt+gzip", Gzip(report))
            : Attachment("outer", "application/tlsrpt+json", report, "report.json"), messageId: messageId ?? reportId + "@reporter.example");
    }

    /// <summary>The body of a multipart/report: a text part, then the data as a base64 attachment.</summary>
    public static string Attachment(string boundary, string mediaType, byte[] data, string fileName = "report.json.gz") =>
        $"--{boundary}\r\nContent-Type: text/plain\r\n\r\nThis is a report.\r\n--{boundary}\r\nContent-Type: {mediaType}\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"{fileName}\"\r\n\r\n" +
        Convert.ToBase64String(data, Base64FormattingOptions.InsertLineBreaks) + $"\r\n--{boundary}--\r\n";

    /// <summary>
    /// A DMARC aggregate report mail (RFC 7489 §7.2.1.1): the same subject format as a TLS
    /// report, a zip of XML. Sites point both rua addresses at one mailbox.
    /// </summary>
    public static byte[] DmarcMail(string messageId)
    {
        var xml = Encoding.UTF8.GetBytes("""
            <?xml version="1.0" encoding="UTF-8" ?>
            <feedback><report_metadata><org_name>google.com</org_name><report_id>123</report_id></report_metadata>
            <policy_published><domain>example.com</domain><p>none</p></policy_published></feedback>
            """);
        var text = "From: noreply-dmarc-support@google.com\r\nTo: reports@example.com\r\n" +
                   "Subject: Report domain: example.com Submitter: google.com Report-ID: 123\r\n" +
                   $"Message-ID: <{messageId}>\r\nDate: Fri, 20 Nov 2026 12:00:00 +0000\r\nMIME-Version: 1.0\r\n" +
                   "Content-Type: application/zip; name=\"google.com!example.com!1763596800!1763683199.zip\"\r\nContent-Transfer-Encoding: base64\r\n" +
                   "Content-Disposition: attachment; filename=\"google.com!example.com!1763596800!1763683199.zip\"\r\n\r\n" +
                   Convert.ToBase64String(Zip(("google.com!example.com!1763596800!1763683199.xml", xml)), Base64FormattingOptions.InsertLineBreaks) + "\r\n";
        return Encoding.ASCII.GetBytes(text);
    }

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    public static byte[] Zip(params (string Name, byte[] Data)[] entries)
    {
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, data) in entries)
            {
                using var stream = zip.CreateEntry(name, CompressionLevel.SmallestSize).Open();
                stream.Write(data);
            }
        }

        return output.ToArray();
    }
}
