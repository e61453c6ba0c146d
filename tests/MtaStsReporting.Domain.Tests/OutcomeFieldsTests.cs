using MtaStsReporting.Domain.RelayOutcomes;

namespace MtaStsReporting.Domain.Tests;

/// <summary>The field rules every relay input shares (the relay API and libtlsrpt datagrams).</summary>
public class OutcomeFieldsTests
{
    [Theory]
    [InlineData("192.0.2.1", "192.0.2.1")]
    [InlineData("::ffff:192.0.2.1", "192.0.2.1")]
    [InlineData("2001:DB8::1", "2001:db8::1")]
    [InlineData("0000:0000:0000:0000:0000:ffff:192.168.100.228", "192.168.100.228")] // 45 characters, the longest spelling
    public void Addresses_get_one_spelling(string text, string normalised)
    {
        Assert.True(OutcomeFields.TryNormaliseIp(text, out var ip));
        Assert.Equal(normalised, ip);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1.2.3")]
    [InlineData("010.0.0.1")]
    [InlineData("fe80::1%eth0")]
    [InlineData("mx.example.com")]
    [InlineData("0000:0000:0000:0000:0000:ffff:192.168.100.228 ")]
    public void Anything_else_is_not_an_address(string text)
    {
        Assert.False(OutcomeFields.TryNormaliseIp(text, out _));
    }

    [Theory]
    [InlineData("plain\ttext", 10, null)]
    [InlineData("0123456789", 10, null)]
    [InlineData("0123456789a", 10, "is longer than 10 characters")]
    [InlineData("line\nbreak", 20, "contains the control character U+000A")]
    [InlineData("nul\0", 20, "contains the control character U+0000")]
    public void Free_text_is_bounded_and_has_no_control_characters(string text, int max, string? problem)
    {
        Assert.Equal(problem, OutcomeFields.CheckText(text, max));
    }
}
