using System.Text;
using static MtaStsReporting.Daemon.Tests.Support.TestReports;

namespace MtaStsReporting.Daemon.Tests.Hostile;

/// <summary>One malformed or hostile input, and a fragment of the error it must get.</summary>
public sealed record HostileInput(string Name, byte[] Bytes, string Error, bool IsMail = false)
{
    public override string ToString() => Name;
}

/// <summary>
/// Inputs that real attackers and broken senders produce, built in code (nothing big is
/// committed): decompression bombs, archives with many entries or path tricks, deep JSON,
/// invalid UTF-8, hostile MIME. The report inside, where there is one, is otherwise valid, so that
/// a refusal is owed to the hostile part alone.
/// </summary>
public static class HostileInputs
{
    /// <summary>A valid report, for wrapping in hostile containers.</summary>
    public static readonly byte[] ValidReport = Report("hostile-1", "hostile.example", "Hostile Test Org");

    /// <summary>Report payloads (bodies of uploads, gRPC imports, files).</summary>
    public static IEnumerable<HostileInput> Payloads()
    {
        var random = new Random(8460);
        var noise = new byte[65536];
        random.NextBytes(noise);
        noise[0] = (byte)'x';
        yield return new("random bytes", noise, "neither");

        // 64 MiB of zeros in ~64 KiB: decompression stops at Ingestion:Limits:MaxDecompressedBytes.
        yield return new("gzip bomb", Gzip(new byte[64 * 1024 * 1024]), "decompresses to more than");
        yield return new("zip bomb", Zip(("report.json", new byte[64 * 1024 * 1024])), "larger than");
        yield return new("zip of a gzip bomb", Zip(("report.json.gz", Gzip(new byte[64 * 1024 * 1024]))), "decompresses to more than");
        yield return new("zip with 5000 entries", Zip([.. Enumerable.Range(0, 5000).Select(i => ($"r{i}.json", ValidReport))]), "5000 entries");
        yield return new("zip with ../ path", Zip(("../../../../etc/cron.d/report.json", ValidReport)), "points outside the archive");
        yield return new("zip with absolute path", Zip(("/etc/report.json", ValidReport)), "points outside the archive");
        yield return new("zip inside zip", Zip(("inner.zip", Zip(("report.json", ValidReport)))), "zip archive nested in another");
        yield return new("truncated gzip", Gzip(ValidReport)[..40], "gzip data");
        yield return new("truncated zip", Zip(("report.json", ValidReport))[..60], "broken zip archive");

        yield return new("deeply nested JSON", Encoding.ASCII.GetBytes("{\"organization-name\":" + new string('[', 100_000) + new string(']', 100_000) + "}"), "depth");
        var invalidUtf8 = (byte[])ValidReport.Clone();
        var at = Encoding.UTF8.GetString(invalidUtf8).IndexOf("Hostile Test Org", StringComparison.Ordinal);
        invalidUtf8[at] = 0xC3;
        invalidUtf8[at + 1] = 0x28; // an invalid two-byte sequence
        yield return new("invalid UTF-8 in JSON", invalidUtf8, "not valid JSON");
        yield return new("UTF-16 JSON", Encoding.Unicode.GetBytes(Encoding.UTF8.GetString(ValidReport)), "not valid JSON");
        yield return new("a 1 MB string", Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(ValidReport).Replace("Hostile Test Org", new string('A', 1_000_000))), "longer than");
        yield return new("count of 1e30", Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(ValidReport).Replace("\"total-successful-session-count\":10", "\"total-successful-session-count\":1000000000000000000000000000000")), "total-successful-session-count");
        yield return new("negative count", Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(ValidReport).Replace("\"total-successful-session-count\":10", "\"total-successful-session-count\":-10")), "total-successful-session-count");
        yield return new("JSON array instead of object", "[1,2,3]"u8.ToArray(), "neither");
        yield return new("empty object", "{}"u8.ToArray(), "organization-name");
        yield return new("NUL bytes", new byte[4096], "neither");
    }

    /// <summary>Report mails with hostile MIME.</summary>
    public static IEnumerable<HostileInput> Mails()
    {
        yield return new("mail with a gzip bomb attachment", Mail(Attachment("outer", "application/tlsrpt+gzip", Gzip(new byte[64 * 1024 * 1024]))), "decompresses to more than", IsMail: true);
        yield return new("mail with a base64 garbage attachment", Mail("--outer\r\nContent-Type: application/tlsrpt+gzip\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!****not base64 at all****!!!!\r\n--outer--\r\n"), "carries no report", IsMail: true);
        yield return new("mail with a zip path trick", Mail(Attachment("outer", "application/zip", Zip(("../report.json", ValidReport)))), "points outside the archive", IsMail: true);

        var deep = new StringBuilder();
        for (var i = 0; i < 2000; i++)
        {
            deep.Append($"--b{i}\r\nContent-Type: multipart/mixed; boundary=\"b{i + 1}\"\r\n\r\n");
        }

        yield return new("multipart nested 2000 deep", Mail(deep.ToString(), "multipart/mixed; boundary=\"b0\""), "carries no report", IsMail: true);

        var many = new StringBuilder();
        for (var i = 0; i < 20_000; i++)
        {
            many.Append("--outer\r\nContent-Type: text/plain\r\n\r\nx\r\n");
        }

        many.Append("--outer--\r\n");
        yield return new("mail with 20000 parts", Mail(many.ToString()), "carries no report", IsMail: true);
        yield return new("a 2 MB header line", Mail("hello", "text/plain", extraHeaders: "X-Junk: " + new string('j', 2_000_000) + "\r\n"), "carries no report", IsMail: true);
        var bytes = Mail(Attachment("outer", "application/tlsrpt+json", ValidReport));
        yield return new("mail over the size limit", [.. bytes, .. Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(new string('z', 76) + "\r\n", 150_000)))], "larger than", IsMail: true);
        yield return new("mail with no report", Mail("hello", "text/plain"), "carries no report", IsMail: true);
        yield return new("mail with invalid UTF-8 JSON attachment", Mail(Attachment("outer", "application/tlsrpt+json", PayloadNamed("invalid UTF-8 in JSON"))), "not valid JSON", IsMail: true);
    }

    private static byte[] PayloadNamed(string name) => Payloads().First(p => p.Name == name).Bytes;
}
