using MtaStsReporting.Domain.Names;

namespace MtaStsReporting.Domain.Tests;

public class DomainNameTests
{
    [Theory]
    [InlineData("example.com", "example.com")]
    [InlineData("Example.COM", "example.com")]
    [InlineData("example.com.", "example.com")]
    [InlineData("  mail.Example.org. ", "mail.example.org")]
    [InlineData("bücher.example", "xn--bcher-kva.example")]
    [InlineData("BÜCHER.example.", "xn--bcher-kva.example")]
    [InlineData("xn--bcher-kva.example", "xn--bcher-kva.example")]
    [InlineData("a-b.c-d.example", "a-b.c-d.example")]
    public void Normalises_case_trailing_dot_and_idn(string input, string expected)
    {
        Assert.True(DomainName.TryParse(input, out var name, out var error), error);
        Assert.Equal(expected, name.Value);
    }

    [Theory]
    [InlineData("", "must not be empty")]
    [InlineData("   ", "must not be empty")]
    [InlineData(null, "must not be empty")]
    [InlineData("localhost", "single label")]
    [InlineData("example..com", "not a valid domain name")]
    [InlineData(".example.com", "not a valid domain name")]
    [InlineData("-bad.example.com", "not a valid domain name")]
    [InlineData("bad-.example.com", "not a valid domain name")]
    [InlineData("under_score.example.com", "not a valid domain name")]
    [InlineData("spa ce.example.com", "not a valid domain name")]
    [InlineData("exa$mple.com", "not a valid domain name")]
    public void Refuses_what_is_not_a_domain(string? input, string because)
    {
        Assert.False(DomainName.TryParse(input, out _, out var error));
        Assert.Contains(because, error);
    }

    [Fact]
    public void Refuses_overlong_labels_and_names()
    {
        Assert.False(DomainName.TryParse(new string('a', 64) + ".example", out _, out _));
        Assert.True(DomainName.TryParse(new string('a', 63) + ".example", out _, out _));
        var longName = string.Join('.', Enumerable.Repeat(new string('a', 60), 5));
        Assert.False(DomainName.TryParse(longName, out _, out var error));
        Assert.Contains("longer than 253", error);
    }
}
