using MtaStsReporting.Domain.MtaSts;

namespace MtaStsReporting.Domain.Tests;

public class StsPolicyTests
{
    [Fact]
    public void Reads_a_policy_with_crlf_and_unknown_keys()
    {
        var result = StsPolicy.Parse("version: STSv1\r\nmode: testing\r\nmx: mx1.example.com\r\nmx: *.backup.example.com\r\nmax_age: 86400\r\nfuture_key: x\r\n");
        Assert.True(result.IsValid, result.Error);
        Assert.Equal(StsPolicyMode.Testing, result.Policy.Mode);
        Assert.Equal(86400, result.Policy.MaxAge);
        Assert.Equal(["mx1.example.com", "*.backup.example.com"], result.Policy.Mx.Select(m => m.Value));
    }

    [Fact]
    public void Mode_none_needs_no_mx()
    {
        var result = StsPolicy.Parse("version: STSv1\nmode: none\nmax_age: 0\n");
        Assert.True(result.IsValid, result.Error);
        Assert.Empty(result.Policy.Mx);
    }

    [Fact]
    public void Renders_policy_strings_in_canonical_order()
    {
        var policy = StsPolicy.Parse("max_age: 600\nmx: b.example.com\nmode: enforce\nversion: STSv1\nmx: a.example.com").Policy!;
        Assert.Equal(["version: STSv1", "mode: enforce", "mx: b.example.com", "mx: a.example.com", "max_age: 600"], policy.ToPolicyStrings());
    }

    [Theory]
    [InlineData("max_age: 600\nmx: b.example.com\nmode: enforce\nversion: STSv1\nmx: a.example.com", "version: STSv1\r\nmode: enforce\r\nmx: b.example.com\r\nmx: a.example.com\r\nmax_age: 600\r\n")]
    [InlineData("version: STSv1\nmode: none\nmax_age: 0\n", "version: STSv1\r\nmode: none\r\nmax_age: 0\r\n")]
    [InlineData("version: STSv1\r\nmode: testing\r\nmx: *.mail.example.com\r\nmax_age: 31557600\r\nextension: x\r\n", "version: STSv1\r\nmode: testing\r\nmx: *.mail.example.com\r\nmax_age: 31557600\r\n")]
    public void Renders_the_policy_file_with_crlf_lines_that_parse_back_to_the_same_policy(string text, string file)
    {
        var policy = StsPolicy.Parse(text).Policy!;

        Assert.Equal(file, policy.ToText());
        var again = StsPolicy.Parse(policy.ToText());
        Assert.True(again.IsValid, again.Error);
        Assert.Equal(policy.ToPolicyStrings(), again.Policy!.ToPolicyStrings());
    }

    [Theory]
    [InlineData("mode: enforce\nmx: a.example.com\nmax_age: 1", "'version' is missing")]
    [InlineData("version: STSv2\nmode: enforce\nmx: a.example.com\nmax_age: 1", "not STSv1")]
    [InlineData("version: STSv1\nmx: a.example.com\nmax_age: 1", "'mode' is missing")]
    [InlineData("version: STSv1\nmode: Enforce\nmx: a.example.com\nmax_age: 1", "not enforce, testing or none")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example.com", "'max_age' is missing")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: 31557601", "max_age")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: -1", "max_age")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: 12345678901", "max_age")]
    [InlineData("version: STSv1\nmode: enforce\nmax_age: 1", "'mx' is required")]
    [InlineData("version: STSv1\nmode: testing\nmode: enforce\nmx: a.example.com\nmax_age: 1", "appears twice")]
    [InlineData("version: STSv1\nmode: enforce\nmx: not a host\nmax_age: 1", "line 3: mx")]
    [InlineData("<html>404</html>", "expected 'key: value'")]
    public void Refuses_invalid_policies_with_a_reason(string text, string because)
    {
        var result = StsPolicy.Parse(text);
        Assert.False(result.IsValid);
        Assert.Contains(because, result.Error);
    }
}
