using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MtaStsReporting.Daemon.Hosting;
using MtaStsReporting.Daemon.Tests.Support;

namespace MtaStsReporting.Daemon.Tests.Hosting;

/// <summary>Settings written as people write them: one value for a list, 5s for a time span.</summary>
public sealed class SettingShorthandsTests
{
    private static Dictionary<string, string?> Rewrite(params (string Key, string Value)[] settings) =>
        SettingShorthands.Rewrite(new ConfigurationBuilder().AddInMemoryCollection(settings.ToDictionary(s => s.Key, s => (string?)s.Value)).Build());

    [Theory]
    [InlineData("Dns:Servers", "127.0.0.1:5353", new[] { "127.0.0.1:5353" })]
    [InlineData("Dns:Servers", "127.0.0.1:5353, 192.0.2.53", new[] { "127.0.0.1:5353", "192.0.2.53" })]
    [InlineData("Check:TrustedCaFiles", "/etc/ca.pem", new[] { "/etc/ca.pem" })]
    [InlineData("dns:servers", "::1", new[] { "::1" })]
    public void A_list_setting_takes_one_value_or_several(string key, string value, string[] items)
    {
        var rewritten = Rewrite((key, value));

        Assert.Null(rewritten[key]);
        Assert.Equal(items, items.Select((_, i) => rewritten[$"{key}:{i}"]));
        Assert.Equal(items.Length + 1, rewritten.Count);
    }

    [Theory]
    [InlineData("Dns:Timeout", "5s", "00:00:05")]
    [InlineData("Dns:Timeout", "500ms", "00:00:00.5000000")]
    [InlineData("Relay:MaxOutcomeAge", "30d", "30.00:00:00")]
    [InlineData("Retention:Interval", "2h", "02:00:00")]
    [InlineData("Check:PolicyTimeout", "1.5m", "00:01:30")]
    [InlineData("Ingestion:Mailboxes:3:PollInterval", "10S", "00:00:10")]
    [InlineData("Security:KeyCacheTime", "0s", "00:00:00")]
    public void A_time_span_takes_a_unit(string key, string value, string expected)
    {
        Assert.Equal(expected, Rewrite((key, value))[key]);
    }

    [Theory]
    [InlineData("Dns:Timeout", "00:00:05")]     // already the binder's form
    [InlineData("Dns:Timeout", "5 seconds")]    // not a shorthand: the binder names it
    [InlineData("Dns:Timeout", "5y")]
    [InlineData("Ingestion:Mailboxes:0:Folder", "5s")] // not a time span setting
    [InlineData("Grpc:Urls", "http://127.0.0.1:1,http://127.0.0.1:2")] // a string, not a list
    public void Other_values_are_left_alone(string key, string value)
    {
        Assert.Empty(Rewrite((key, value)));
    }

    [Fact]
    public async Task The_daemon_starts_with_shorthands_and_binds_them()
    {
        await using var daemon = await InProcessDaemon.StartAsync("--Dns:Servers=127.0.0.1:5353,127.0.0.2", "--Dns:Timeout=2s", "--Retention:Interval=90m");

        var dns = daemon.Services.GetRequiredService<IOptions<DnsOptions>>().Value;
        Assert.Equal(["127.0.0.1:5353", "127.0.0.2"], dns.Servers);
        Assert.Equal(TimeSpan.FromSeconds(2), dns.Timeout);
        Assert.Equal(TimeSpan.FromMinutes(90), daemon.Services.GetRequiredService<IOptions<MtaStsReporting.Daemon.Storage.RetentionOptions>>().Value.Interval);
    }
}
