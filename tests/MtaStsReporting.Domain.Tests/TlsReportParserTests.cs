using System.IO.Compression;
using System.Text;
using MtaStsReporting.Domain.TlsRpt;

namespace MtaStsReporting.Domain.Tests;

public class TlsReportParserTests
{
    private const string Minimal = """
        {"organization-name":"Org","report-id":"r-1","contact-info":"tlsrpt@org.example",
         "date-range":{"start-datetime":"2026-11-01T00:00:00Z","end-datetime":"2026-11-01T23:59:59Z"},
         "policies":[{"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: testing","mx: mx.example.com","max_age: 86400"],
           "policy-domain":"Example.COM.","mx-host":["mx.example.com"]},
           "summary":{"total-successful-session-count":10,"total-failure-session-count":2},
           "failure-details":[{"result-type":"certificate-expired","sending-mta-ip":"192.0.2.1","receiving-mx-hostname":"mx.example.com","failed-session-count":2}]}]}
        """;

    private static ReportParseResult Parse(string json, ReportLimits? limits = null, string? fallback = null) =>
        TlsReportParser.Parse(Encoding.UTF8.GetBytes(json), limits ?? new ReportLimits(), fallback);

    private static IEnumerable<string> Codes(ReportParseResult r) => r.Report!.Flags.Select(f => f.Code);

    [Fact]
    public void Reads_an_rfc_report_without_flags()
    {
        var r = Parse(Minimal);
        Assert.True(r.IsValid, r.Error);
        Assert.Empty(r.Report.Flags);
        var p = Assert.Single(r.Report.Policies);
        Assert.Equal(("sts", "example.com", 10L, 2L), (p.PolicyType, p.PolicyDomain, p.TotalSuccessfulSessionCount, p.TotalFailureSessionCount));
        Assert.Equal(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero), r.Report.StartDatetime);
        Assert.Equal(2, Assert.Single(p.FailureDetails).FailedSessionCount);
    }

    [Fact]
    public void A_report_behind_a_byte_order_mark_reads()
    {
        var r = Parse("\uFEFF" + Minimal);
        Assert.True(r.IsValid, r.Error);
        Assert.Equal("r-1", r.Report.ReportId);
    }

    [Theory]
    [InlineData("\"2026-11-01T00:00:00Z\"", "\"2026-11-01T00:00:00\"", ReportFlags.DateWithoutTimeZone)]
    [InlineData("\"total-successful-session-count\":10", "\"total-successful-session-count\":\"10\"", ReportFlags.NumberAsString)]
    [InlineData("\"mx-host\":[\"mx.example.com\"]", "\"mx-host\":\"mx.example.com\"", ReportFlags.StringForArray)]
    [InlineData("\"mx-host\":[\"mx.example.com\"]", "\"mx-host-pattern\":[\"mx.example.com\"]", ReportFlags.AlternateKeyName)]
    [InlineData("\"receiving-mx-hostname\"", "\"receiving-mx-host-name\"", ReportFlags.AlternateKeyName)]
    [InlineData("\"policy-type\":\"sts\"", "\"policy-type\":\"STS\"", ReportFlags.UnknownPolicyType)]
    [InlineData("\"certificate-expired\"", "\"quantum-handshake-flux\"", ReportFlags.UnknownResultType)]
    [InlineData("\"total-failure-session-count\":2", "\"total-failure-session-count\":1", ReportFlags.FailureCountMismatch)]
    [InlineData("\"contact-info\":\"tlsrpt@org.example\",", "\"contact-info\":null,", ReportFlags.NoContactInfo)]
    [InlineData("\"mode: testing\"", "\"mode: testing\\r\"", ReportFlags.CarriageReturnInPolicyString)]
    [InlineData("\"end-datetime\":\"2026-11-01T23:59:59Z\"", "\"end-datetime\":\"2026-11-07T23:59:59Z\"", ReportFlags.UnusualDateRange)]
    [InlineData(",\"total-failure-session-count\":2", "", ReportFlags.MissingField)]
    public void Oddities_are_kept_and_flagged(string rfc, string quirk, string flag)
    {
        Assert.Contains(rfc, Minimal);
        var r = Parse(Minimal.Replace(rfc, quirk));
        Assert.True(r.IsValid, r.Error);
        Assert.Contains(flag, Codes(r));
    }

    [Fact]
    public void Kept_as_sent_values_are_not_fixed()
    {
        var r = Parse(Minimal.Replace("\"total-failure-session-count\":2", "\"total-failure-session-count\":1"));
        Assert.Equal(1, r.Report!.FailureCount);
        Assert.Equal(2, r.Report.Policies[0].FailureDetails[0].FailedSessionCount);
    }

    [Fact]
    public void A_missing_policy_domain_comes_from_the_mail_and_is_flagged()
    {
        var json = Minimal.Replace("\"policy-domain\":\"Example.COM.\",", string.Empty);
        var inferred = Parse(json, fallback: "Other.Example");
        Assert.Equal("other.example", inferred.Report!.Policies[0].PolicyDomain);
        Assert.Contains(ReportFlags.PolicyDomainInferred, Codes(inferred));

        var missing = Parse(json);
        Assert.Null(missing.Report!.Policies[0].PolicyDomain);
        Assert.Contains(ReportFlags.PolicyDomainMissing, Codes(missing));
    }

    [Theory]
    [InlineData("", "not valid JSON")]
    [InlineData("[]", "not a JSON object")]
    [InlineData("{\"report-id\":\"x\"}", "organization-name is missing")]
    [InlineData("{\"organization-name\":\"o\",\"report-id\":\"x\",\"policies\":[]}", "date-range is missing")]
    public void Unreadable_reports_are_refused_with_a_reason(string json, string because)
    {
        var r = Parse(json);
        Assert.False(r.IsValid);
        Assert.Contains(because, r.Error);
    }

    [Theory]
    [InlineData("\"2026-11-01T00:00:00Z\"", "\"yesterday\"", "not a date-time")]
    [InlineData("\"end-datetime\":\"2026-11-01T23:59:59Z\"", "\"end-datetime\":\"2026-10-01T23:59:59Z\"", "ends")]
    [InlineData("\"total-successful-session-count\":10", "\"total-successful-session-count\":-10", "negative")]
    [InlineData("\"total-successful-session-count\":10", "\"total-successful-session-count\":\"ten\"", "not a number")]
    [InlineData("\"total-successful-session-count\":10", "\"total-successful-session-count\":1.5", "whole number")]
    [InlineData("\"policies\":[", "\"policies\":{\"x\":[", "not valid JSON")]
    [InlineData("\"result-type\":\"certificate-expired\",", "", "result-type is missing")]
    public void Broken_values_are_refused(string rfc, string broken, string because)
    {
        Assert.Contains(rfc, Minimal);
        var r = Parse(Minimal.Replace(rfc, broken));
        Assert.False(r.IsValid);
        Assert.Contains(because, r.Error);
    }

    [Fact]
    public void Limits_are_enforced()
    {
        Assert.Contains("longer than", Parse(Minimal.Replace("r-1", new string('x', 9000))).Error);
        Assert.Contains("at most 0", Parse(Minimal, new ReportLimits { MaxPolicies = 0 }).Error);
        Assert.Contains("failure-details", Parse(Minimal, new ReportLimits { MaxFailureDetails = 0 }).Error);
        var deep = "{\"organization-name\":" + new string('[', 100) + new string(']', 100) + "}";
        Assert.Contains("not valid JSON", Parse(deep).Error);
        Assert.Contains("larger than", Parse(Minimal, new ReportLimits { MaxDecompressedBytes = 100 }).Error);
    }

    [Fact]
    public void Invalid_utf8_is_refused()
    {
        var bytes = Encoding.UTF8.GetBytes(Minimal.Replace("Org", "O\u00e9g"));
        var at = Array.IndexOf(bytes, (byte)0xC3);
        bytes[at] = 0xFF;
        var r = TlsReportParser.Parse(bytes, new ReportLimits());
        Assert.False(r.IsValid);
        Assert.Contains("not valid JSON", r.Error);
    }
}

public class ReportPayloadTests
{
    private static readonly byte[] Json = Encoding.UTF8.GetBytes("{\"organization-name\":\"o\"}");

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    private static byte[] Zip(params (string Name, byte[] Data)[] entries)
    {
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create))
        {
            foreach (var (name, data) in entries)
            {
                using var s = zip.CreateEntry(name).Open();
                s.Write(data);
            }
        }

        return output.ToArray();
    }

    private static readonly byte[] DmarcXml = "\uFEFF  <?xml version=\"1.0\"?>\n<feedback><report_metadata/></feedback>"u8.ToArray();

    private static byte[] Packing(string what) => what switch
    {
        "gzip of XML" => Gzip(DmarcXml),
        "zip of one .xml" => Zip(("google.com!example.com!1!2.xml", DmarcXml)),
        "zip of two .xml" => Zip(("a.xml", DmarcXml), ("b.xml", DmarcXml)),
        "zip of one unnamed XML entry" => Zip(("report", DmarcXml)),
        "gzip of text" => Gzip("hello"u8.ToArray()),
        "zip of one text entry" => Zip(("report.txt", "hello"u8.ToArray())),
        _ => DmarcXml, // bare XML: not a packing
    };

    [Fact]
    public void A_byte_order_mark_before_json_is_json()
    {
        Assert.Equal(PayloadFormat.Json, ReportPayload.Sniff("\uFEFF {\"a\":1}"u8));
        Assert.Equal(3, "\uFEFF"u8.Length);
    }

    [Theory]
    // what, XML (someone else's report, a DMARC one)?
    [InlineData("gzip of XML", true)]
    [InlineData("zip of one .xml", true)]
    [InlineData("zip of two .xml", true)]
    [InlineData("zip of one unnamed XML entry", true)]
    [InlineData("gzip of text", false)]
    [InlineData("zip of one text entry", false)]
    [InlineData("bare XML", false)]
    public void Xml_in_a_packing_is_told_apart_from_a_broken_report(string what, bool xml)
    {
        var result = ReportPayload.Decode(Packing(what), new ReportLimits());
        Assert.False(result.IsValid, what);
        Assert.Equal(xml, result.IsXml);
        Assert.Equal(xml, result.Error!.Contains("DMARC aggregate report", StringComparison.Ordinal));
    }

    [Fact]
    public void The_bytes_decide_the_format()
    {
        Assert.Equal(PayloadFormat.Json, ReportPayload.Decode(Json, new ReportLimits()).Format);
        var gz = ReportPayload.Decode(Gzip(Json), new ReportLimits());
        Assert.Equal((PayloadFormat.Gzip, Json.Length), (gz.Format, gz.Json.Length));
        var zip = ReportPayload.Decode(Zip(("reports/google.com!example.com!1!2.json.gz", Gzip(Json))), new ReportLimits());
        Assert.True(zip.IsValid, zip.Error);
        Assert.Equal(PayloadFormat.Zip, zip.Format);
        Assert.Equal(Json, zip.Json.ToArray());
        foreach (var name in new[] { "../../etc/report.json.gz", "/etc/report.json", "C:report.json", "a\\..\\..\\report.json" })
        {
            var tricked = ReportPayload.Decode(Zip((name, Gzip(Json))), new ReportLimits());
            Assert.False(tricked.IsValid, name);
            Assert.Contains("points outside the archive", tricked.Error);
        }

        Assert.Contains("neither JSON", ReportPayload.Decode("hello"u8.ToArray(), new ReportLimits()).Error);
    }

    [Fact]
    public void A_decompression_bomb_is_stopped_at_the_limit()
    {
        // 1 GiB of '{' compresses to about a megabyte; reading stops after 20 MiB.
        var bomb = new MemoryStream();
        using (var gzip = new GZipStream(bomb, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var block = new byte[1 << 20];
            Array.Fill(block, (byte)'{');
            for (var i = 0; i < 1024; i++)
            {
                gzip.Write(block);
            }
        }

        var result = ReportPayload.Decode(bomb.ToArray(), new ReportLimits());
        Assert.False(result.IsValid);
        Assert.Contains("decompresses to more than 20971520 bytes", result.Error);
    }

    [Fact]
    public void Archives_with_many_entries_or_nested_zips_are_refused()
    {
        var many = Zip(Enumerable.Range(0, 17).Select(i => ($"r{i}.json", Json)).ToArray());
        Assert.Contains("17 entries", ReportPayload.Decode(many, new ReportLimits()).Error);
        var nested = Zip(("inner.zip", Zip(("r.json", Json))));
        Assert.False(ReportPayload.Decode(nested, new ReportLimits()).IsValid);
        Assert.Contains("gzip", ReportPayload.Decode(new byte[] { 0x1f, 0x8b, 8, 0, 1, 2, 3 }, new ReportLimits()).Error);
    }
}
