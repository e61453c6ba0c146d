using MtaStsReporting.Domain.MtaSts;
using MtaStsReporting.Domain.Names;
using MtaStsReporting.Domain.RelayOutcomes;
using MtaStsReporting.Domain.TlsRpt;

namespace MtaStsReporting.Domain.Tests;

/// <summary>The limits of the RFCs at their value and one past it, and identities that must not merge.</summary>
public class LimitsAtTheEdgeTests
{
    [Theory]
    // RFC 8461 §3.2: max_age at most 31557600 seconds (a year).
    [InlineData(31557600, true)]
    [InlineData(31557601, false)]
    [InlineData(0, true)]
    public void Max_age_is_at_most_a_year(long maxAge, bool valid)
    {
        var result = StsPolicy.Parse($"version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: {maxAge}");
        Assert.Equal(valid, result.IsValid);
        if (valid)
        {
            Assert.Equal(maxAge, result.Policy!.MaxAge);
        }
    }

    [Theory]
    // RFC 8461 §3.1: sts-id = 1*32(ALPHA / DIGIT).
    [InlineData(1, true)]
    [InlineData(32, true)]
    [InlineData(33, false)]
    public void The_sts_id_is_1_to_32_letters_and_digits(int length, bool valid)
    {
        var id = new string('a', length);
        Assert.Equal(valid ? id : null, StsRecord.Parse([$"v=STSv1; id={id}"]).Record?.Id);
    }

    [Fact]
    public void An_empty_sts_id_is_refused()
    {
        Assert.Contains("letters and digits", StsRecord.Parse(["v=STSv1; id="]).Error);
    }

    [Theory]
    // A domain name is at most 253 characters (RFC 1035 §2.3.4, without the final dot); a label at most 63.
    [InlineData(253, true)]
    [InlineData(254, false)]
    public void A_domain_name_is_at_most_253_characters(int length, bool valid)
    {
        // Labels of 63, 63, 63 and the rest, joined by dots.
        var rest = length - (3 * 64);
        var name = $"{new string('a', 63)}.{new string('b', 63)}.{new string('c', 63)}.{new string('d', rest - 4)}.com";
        Assert.Equal(length, name.Length);
        Assert.Equal(valid, DomainName.TryParse(name, out _, out var error));
        if (!valid)
        {
            Assert.Equal("is longer than 253 characters", error);
        }
    }

    [Theory]
    [InlineData(63, true)]
    [InlineData(64, false)]
    public void A_label_is_at_most_63_characters(int length, bool valid)
    {
        Assert.Equal(valid, DomainName.TryParse(new string('a', length) + ".example.com", out _, out _));
    }

    [Theory]
    // An exact mx pattern matches that name only (RFC 8461 §4.1), not a longer one ending with it.
    [InlineData("mx.example.com", "mx.example.com", true)]
    [InlineData("mx.example.com", "othermx.example.com", false)]
    [InlineData("mx.example.com", "a.mx.example.com", false)]
    [InlineData("*.example.com", "a.example.com", true)]
    public void An_exact_pattern_does_not_match_a_longer_name(string pattern, string host, bool matches)
    {
        Assert.True(MxPattern.TryParse(pattern, out var p, out var error), error);
        Assert.Equal(matches, p.Matches(DomainName.Parse(host)));
    }

    [Fact]
    public void Failure_details_with_nulls_in_different_fields_are_different_details()
    {
        var a = new FailureDetail(ResultType.CertificateExpired, "192.0.2.1", null, null, null, null, null);
        var b = new FailureDetail(ResultType.CertificateExpired, null, "192.0.2.1", null, null, null, null);
        var c = new FailureDetail(ResultType.CertificateExpired, "192.0.2.1", null, null, null, null, null);

        Assert.NotEqual(a.Key, b.Key);
        Assert.Equal(a.Key, c.Key);
    }

    [Fact]
    public void Policy_content_keys_tell_type_lines_and_mx_apart()
    {
        var lines = new[] { "version: STSv1", "mode: testing", "mx: mx.example.com", "max_age: 86400" };
        var key = PolicyContent.Key("sts", lines, ["mx.example.com"]);

        Assert.Equal(key, PolicyContent.Key("sts", [.. lines], ["mx.example.com"]));
        Assert.NotEqual(key, PolicyContent.Key("tlsa", lines, ["mx.example.com"]));
        Assert.NotEqual(key, PolicyContent.Key("sts", [.. lines.Take(3)], ["mx.example.com"]));
        Assert.NotEqual(key, PolicyContent.Key("sts", lines, []));
        // Length-prefixed: moving text from one line to the next is another policy.
        Assert.NotEqual(PolicyContent.Key("sts", ["ab", "c"], []), PolicyContent.Key("sts", ["a", "bc"], []));
        Assert.Equal(32, key.Length);
    }

    [Theory]
    [InlineData(new[] { "version: STSv1", "mode: enforce" }, "enforce")]
    [InlineData(new[] { "version: STSv1", "mode: testing" }, "testing")]
    [InlineData(new[] { "version: STSv1" }, null)]
    public void The_mode_is_read_from_the_lines(string[] lines, string? mode)
    {
        Assert.Equal(mode, PolicyContent.Mode(lines));
    }
}
