using MtaStsReporting.Domain.MtaSts;
using MtaStsReporting.Domain.Names;

namespace MtaStsReporting.Domain.Tests;

public class MxPatternTests
{
    // RFC 8461 §4.1: "*" stands for exactly one leftmost label.
    [Theory]
    [InlineData("mx1.example.com", "mx1.example.com", true)]
    [InlineData("MX1.Example.com.", "mx1.example.com", true)]
    [InlineData("mx1.example.com", "mx2.example.com", false)]
    [InlineData("*.example.com", "mx1.example.com", true)]
    [InlineData("*.example.com", "MX1.EXAMPLE.COM.", true)]
    [InlineData("*.example.com", "a.b.example.com", false)]
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("*.example.com", "mx1.badexample.com", false)]
    [InlineData("*.mail.example.com", "mx.mail.example.com", true)]
    public void Matches_as_rfc_8461_says(string pattern, string host, bool expected)
    {
        Assert.True(MxPattern.TryParse(pattern, out var p, out var error), error);
        Assert.Equal(expected, p.Matches(DomainName.Parse(host)));
    }

    [Theory]
    [InlineData("*")]
    [InlineData("*.")]
    [InlineData("**.example.com")]
    [InlineData("mx*.example.com")]
    [InlineData("*.com")]
    [InlineData("")]
    public void Refuses_malformed_patterns(string pattern)
    {
        Assert.False(MxPattern.TryParse(pattern, out _, out _));
    }
}
