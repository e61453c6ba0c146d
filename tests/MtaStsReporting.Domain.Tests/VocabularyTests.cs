using System.IO.Compression;
using System.Text;
using MtaStsReporting.Domain.MtaSts;
using MtaStsReporting.Domain.Names;
using MtaStsReporting.Domain.RelayOutcomes;
using MtaStsReporting.Domain.TlsRpt;

namespace MtaStsReporting.Domain.Tests;

/// <summary>The RFC 8460 vocabulary as written on the wire, and the small rules around it.</summary>
public class VocabularyTests
{
    [Theory]
    // RFC 8460 §4.3: the result types, spelled as reports carry them.
    [InlineData("starttls-not-supported")]
    [InlineData("certificate-host-mismatch")]
    [InlineData("certificate-expired")]
    [InlineData("certificate-not-trusted")]
    [InlineData("validation-failure")]
    [InlineData("tlsa-invalid")]
    [InlineData("dnssec-invalid")]
    [InlineData("dane-required")]
    [InlineData("sts-policy-fetch-error")]
    [InlineData("sts-policy-invalid")]
    [InlineData("sts-webpki-invalid")]
    public void Every_rfc_result_type_is_known_by_its_name(string name)
    {
        var known = new[]
        {
            ResultType.StartTlsNotSupported, ResultType.CertificateHostMismatch, ResultType.CertificateExpired, ResultType.CertificateNotTrusted,
            ResultType.ValidationFailure, ResultType.TlsaInvalid, ResultType.DnssecInvalid, ResultType.DaneRequired,
            ResultType.StsPolicyFetchError, ResultType.StsPolicyInvalid, ResultType.StsWebPkiInvalid,
        };
        Assert.Single(known, t => t.Name == name);
        Assert.True(new ResultType(name).IsKnown);
    }

    [Fact]
    public void An_unknown_result_type_is_kept_but_not_known()
    {
        Assert.False(new ResultType("something-new").IsKnown);
    }

    [Theory]
    [InlineData("sts", PolicyType.Sts)]
    [InlineData("tlsa", PolicyType.Tlsa)]
    [InlineData("no-policy-found", PolicyType.NoPolicyFound)]
    public void Policy_types_read_and_write_their_rfc_names(string name, PolicyType type)
    {
        Assert.True(PolicyTypeNames.TryParse(name, out var parsed));
        Assert.Equal(type, parsed);
        Assert.Equal(name, type.ToRfcName());
    }

    [Fact]
    public void An_unknown_policy_type_does_not_parse()
    {
        Assert.False(PolicyTypeNames.TryParse("dane", out _));
    }

    [Theory]
    [InlineData(new[] { "v=TLSRPTv1; rua=mailto:a@example.com" }, "mailto:a@example.com", null)]
    [InlineData(new[] { "v=TLSRPTv1;rua=mailto:a@example.com, https://r.example.com/t ;" }, "mailto:a@example.com|https://r.example.com/t", null)]
    [InlineData(new[] { "v=TLSRPTv1; ext=1; rua=mailto:a@example.com" }, "mailto:a@example.com", null)]
    [InlineData(new[] { "v=spf1 -all" }, null, "no TXT record starting with v=TLSRPTv1")]
    [InlineData(new string[0], null, "no TXT record starting with v=TLSRPTv1")]
    [InlineData(new[] { "v=TLSRPTv1;" }, null, "the record has no mailto: or https: rua URI")]
    public void Tlsrpt_records_read_as_rfc_8460_says(string[] txt, string? rua, string? error)
    {
        var result = TlsRptRecord.Parse(txt);
        Assert.Equal(rua, result.Record is null ? null : string.Join("|", result.Record.Rua.Select(u => u.OriginalString)));
        Assert.Equal(error, result.Error);
    }

    [Theory]
    [InlineData(new[] { "v=STSv1; id" }, "'id' is not key=value")]
    [InlineData(new[] { "v=STSv1; =abc" }, "'=abc' is not key=value")]
    [InlineData(new[] { "v=STSv1x; id=1" }, "the record begins 'v=STSv1x', not 'v=STSv1'")]
    public void Broken_sts_records_say_what_is_wrong(string[] txt, string error)
    {
        Assert.Equal(error, StsRecord.Parse(txt).Error);
    }

    [Theory]
    [InlineData("version: STSv1\nversion: STSv1\nmode: testing\nmx: a.example.com\nmax_age: 1", "line 2: 'version' appears twice")]
    [InlineData("version: STSv1\nmode: testing\nmx: a.example.com\nmax_age: 1\nmax_age: 2", "line 5: 'max_age' appears twice")]
    [InlineData("version: STSv1\nmode: testing\nmx: a.example.com\nmax_age: 0000086400", null)] // ten digits
    [InlineData("version: STSv1\nmode: testing\nmx: a.example.com\nmax_age: 00000086400", "max_age")] // eleven
    [InlineData("version: STSv1\nmode: testing\nmx: a.example.com\nmax_age: ", "max_age")]
    [InlineData("version: STSv1\nmode: testing\nmx: a.example.com\nmax_age: 1x", "max_age")]
    public void Policy_lines_at_their_limits(string text, string? error)
    {
        var result = StsPolicy.Parse(text);
        if (error is null)
        {
            Assert.True(result.IsValid, result.Error);
        }
        else
        {
            Assert.Contains(error, result.Error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_policy_with_crlf_line_ends_reads_like_one_with_lf()
    {
        var crlf = StsPolicy.Parse("version: STSv1\r\nmode: enforce\r\nmx: a.example.com\r\nmax_age: 86400\r\n");
        Assert.True(crlf.IsValid, crlf.Error);
        Assert.Equal(("a.example.com", 86400L, StsPolicyMode.Enforce), (crlf.Policy.Mx.Single().Value, crlf.Policy.MaxAge, crlf.Policy.Mode));
    }

    [Theory]
    [InlineData(64, false)]
    [InlineData(65, true)]
    public void Quoted_input_is_cut_past_64_characters(int length, bool cut)
    {
        var text = new string('q', length);
        Assert.Equal(cut ? new string('q', 64) + "…" : text, Quote.Shorten(text));
    }

    [Fact]
    public void A_report_totals_every_policy()
    {
        TlsReportPolicy Policy(long ok, long failed) => new("sts", [], "example.com", [], ok, failed, []);
        var report = new TlsReport("Org", "r", "c", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, [Policy(3, 1), Policy(4, 2)], []);
        Assert.Equal((7L, 3L), (report.SuccessCount, report.FailureCount));
        Assert.Equal("date-without-time-zone: start", new ReportFlag(ReportFlags.DateWithoutTimeZone, "start").ToString());
    }

    [Fact]
    public void Merging_deltas_adds_counts_and_widens_first_and_last_seen()
    {
        var domain = DomainName.Parse("example.com");
        var t = new DateTimeOffset(2026, 11, 1, 8, 0, 0, TimeSpan.Zero);
        var policy = new FetchedPolicy(StsPolicy.Parse("version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 86400").Policy!, null);
        var a = new DailyOutcomeDelta();
        a.Add(new PolicyFetchOutcome(domain, t.AddHours(2), "1", policy, null));
        var b = new DailyOutcomeDelta();
        Assert.True(b.IsEmpty);
        b.Add(new PolicyFetchOutcome(domain, t, "1", policy, null));
        b.Add(new PolicyFetchOutcome(domain, t.AddHours(5), "1", policy, null));
        Assert.False(b.IsEmpty);

        a.Merge(b);

        var fetch = Assert.Single(a.Fetches.Values);
        Assert.Equal((t, t.AddHours(5), 3L, 3L), (fetch.FirstSeen, fetch.LastSeen, fetch.Count, a.FetchCount));
        Assert.Equal(0, a.SessionCount);
    }
}

/// <summary>How a payload is recognised and unpacked, at the edges.</summary>
public class PayloadEdgeTests
{
    private static readonly byte[] Json = Encoding.UTF8.GetBytes("{\"organization-name\":\"o\"}");

    private static byte[] Zip(params (string Name, byte[] Data)[] entries)
    {
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, data) in entries)
            {
                using var stream = zip.CreateEntry(name).Open();
                stream.Write(data);
            }
        }

        return output.ToArray();
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    [Theory]
    [InlineData(new byte[] { 0x1f, 0x8b }, PayloadFormat.Gzip)]
    [InlineData(new byte[] { 0x1f }, null)]
    [InlineData(new byte[] { (byte)'P', (byte)'K', 3, 4 }, PayloadFormat.Zip)]
    [InlineData(new byte[] { (byte)'P', (byte)'K', 3 }, null)]
    [InlineData(new byte[] { (byte)' ', (byte)'{' }, PayloadFormat.Json)]
    [InlineData(new byte[] { (byte)'<' }, null)]
    public void Formats_are_told_by_their_first_bytes(byte[] data, PayloadFormat? format)
    {
        Assert.Equal(format, ReportPayload.Sniff(data));
    }

    [Fact]
    public void A_zip_entry_is_chosen_json_first_then_gz_then_a_lone_entry()
    {
        var other = Encoding.UTF8.GetBytes("{\"organization-name\":\"other\"}");
        Assert.Equal(Json, ReportPayload.Decode(Zip(("a.txt", other), ("r.json", Json), ("r.json.gz", Gzip(other))), new()).Json.ToArray());
        Assert.Equal(Json, ReportPayload.Decode(Zip(("a.txt", other), ("r.json.gz", Gzip(Json))), new()).Json.ToArray());
        Assert.Equal(Json, ReportPayload.Decode(Zip(("report", Json)), new()).Json.ToArray());
        Assert.Equal("the zip archive holds no .json or .gz report", ReportPayload.Decode(Zip(("a.txt", other), ("b.txt", other)), new()).Error);
    }

    [Theory]
    [InlineData(16, true)]
    [InlineData(17, false)]
    public void Max_zip_entries_is_a_ceiling(int entries, bool valid)
    {
        var zip = Zip([.. Enumerable.Range(0, entries).Select(i => ($"r{i}.json", Json))]);
        Assert.Equal(valid, ReportPayload.Decode(zip, new ReportLimits()).IsValid);
    }

    [Theory]
    [InlineData("C:report.json", true)]
    [InlineData("c:/report.json", true)]
    [InlineData("a/../report.json", true)]
    [InlineData("reports/2026/report.json", false)]
    [InlineData("r", false)]
    [InlineData("r:", true)] // a drive letter
    public void Zip_entries_that_point_outside_are_refused(string name, bool refused)
    {
        var result = ReportPayload.Decode(Zip((name, Json)), new ReportLimits());
        Assert.Equal(refused, result.Error?.Contains("points outside the archive", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void Control_characters_in_a_refused_name_are_shown_as_question_marks()
    {
        var result = ReportPayload.Decode(Zip(("../a\tb.json", Json)), new ReportLimits());
        Assert.Equal("the zip archive has an entry named '../a?b.json' that points outside the archive", result.Error);
    }

    [Theory]
    // The decompressed size limit at its value and one past it.
    [InlineData(0, true)]
    [InlineData(1, false)]
    public void Max_decompressed_bytes_holds_for_gzip_and_zip(int under, bool valid)
    {
        var limits = new ReportLimits { MaxDecompressedBytes = Json.Length - under };
        Assert.Equal(valid, ReportPayload.Decode(Gzip(Json), limits).IsValid);
        Assert.Equal(valid, ReportPayload.Decode(Zip(("r.json", Json)), limits).IsValid);
        Assert.Equal(valid, ReportPayload.Decode(Json, limits).IsValid);
        Assert.Equal(PayloadFormat.Zip, ReportPayload.Decode(Zip(("r.json", Json)), new ReportLimits()).Format);
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, false)]
    public void Max_message_bytes_holds_before_anything_is_unpacked(int under, bool valid)
    {
        var gzip = Gzip(Json);
        var result = ReportPayload.Decode(gzip, new ReportLimits { MaxMessageBytes = gzip.Length - under });
        Assert.Equal(valid, result.IsValid);
        if (!valid)
        {
            Assert.Equal($"the payload is larger than {gzip.Length - 1} bytes", result.Error);
        }
    }

    [Fact]
    public void Broken_packings_say_so()
    {
        Assert.Equal("the gzip data does not hold a JSON report", ReportPayload.Decode(Gzip("hello"u8.ToArray()), new ReportLimits()).Error);
        Assert.StartsWith("broken zip archive: ", ReportPayload.Decode(new byte[] { (byte)'P', (byte)'K', 3, 4, 1, 2, 3 }, new ReportLimits()).Error);
        Assert.Equal("a zip archive nested in another is not read", ReportPayload.Decode(Zip(("inner.zip", Zip(("r.json", Json)))), new ReportLimits()).Error);
    }
}
