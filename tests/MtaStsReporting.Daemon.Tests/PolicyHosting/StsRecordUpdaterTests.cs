using Microsoft.Extensions.Options;
using MtaStsReporting.Daemon.PolicyHosting;
using MtaStsReporting.Daemon.Tests.Support;
using MtaStsReporting.Domain.MtaSts;

namespace MtaStsReporting.Daemon.Tests.PolicyHosting;

/// <summary>
/// RFC 2136 updates of the <c>_mta-sts</c> record, signed with TSIG, against BIND 9 as the
/// zone's primary: the record replaced (and only it), and every refusal named as the server
/// gave it (REFUSED by its update policy, a wrong secret, an unknown key, no server).
/// </summary>
public sealed class StsRecordUpdaterTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private BindServer _bind = null!;

    public async Task InitializeAsync() => _bind = await BindServer.StartAsync(
        new Dictionary<string, string[]>
        {
            ["a.example"] = ["_mta-sts IN TXT \"v=STSv1; id=old1\"", "_mta-sts IN TXT \"something else\"", "mta-sts IN A 127.0.0.1"],
            ["locked.example"] = ["_mta-sts IN TXT \"v=STSv1; id=old1\""],
        },
        ["a.example"]);

    public async Task DisposeAsync()
    {
        await _bind.DisposeAsync();
        _dir.Dispose();
    }

    private StsRecordUpdater Updater(string? keyFile = null, string? zone = null, string? server = null) => new(Options.Create(new PolicyHostingOptions
    {
        DnsUpdate = new DnsUpdateOptions
        {
            Server = server ?? $"127.0.0.1:{_bind.Port}", KeyFile = keyFile ?? _bind.KeyFile, Zone = zone, Timeout = TimeSpan.FromSeconds(2),
        },
    }));

    private string KeyFile(string name, string secret)
    {
        var file = Path.Combine(_dir.Path, Guid.NewGuid().ToString("N"));
        File.WriteAllText(file, $"key \"{name}\" {{ algorithm hmac-sha256; secret \"{secret}\"; }};");
        return file;
    }

    [Theory]
    [InlineData(null)]
    [InlineData("a.example")]
    public async Task The_record_replaces_every_txt_record_at_the_name_found_by_soa_or_set(string? zone)
    {
        var result = await Updater(zone: zone).PublishAsync("a.example", new StsRecord("20261129120000"), CancellationToken.None);

        Assert.Equal((true, $"127.0.0.1:{_bind.Port} replaced _mta-sts.a.example TXT with \"v=STSv1; id=20261129120000\" in zone a.example (key {BindServer.KeyName})."),
            (result.Succeeded, result.Message));
        Assert.Equal(["v=STSv1; id=20261129120000"], await _bind.TxtAsync("_mta-sts.a.example"));
    }

    [Fact]
    public async Task A_zone_whose_update_policy_does_not_grant_the_key_refuses_and_nothing_changes()
    {
        var result = await Updater().PublishAsync("locked.example", new StsRecord("2"), CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Equal($"127.0.0.1:{_bind.Port} refused the update of _mta-sts.locked.example in zone locked.example: REFUSED (the server's update-policy does not let this key change that name).", result.Message);
        Assert.Equal(["v=STSv1; id=old1"], await _bind.TxtAsync("_mta-sts.locked.example"));
    }

    [Theory]
    [InlineData(BindServer.KeyName, true, "NOTAUTH, TSIG BADSIG (the secret differs from the server's)")]
    [InlineData("unknown-key", false, "NOTAUTH, TSIG BADKEY (the server does not know this key name and algorithm)")]
    public async Task A_key_the_server_does_not_accept_is_named_with_the_tsig_error(string name, bool sameName, string expected)
    {
        var secret = Convert.ToBase64String(new byte[32]);
        var result = await Updater(keyFile: KeyFile(sameName ? BindServer.KeyName : name, secret)).PublishAsync("a.example", new StsRecord("3"), CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.EndsWith(expected + ".", result.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("v=STSv1; id=3", await _bind.TxtAsync("_mta-sts.a.example"));
    }

    [Fact]
    public async Task No_server_is_said_in_one_sentence()
    {
        var port = Loopback.FreePort();

        var result = await Updater(server: $"127.0.0.1:{port}", zone: "a.example").PublishAsync("a.example", new StsRecord("4"), CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.StartsWith($"127.0.0.1:{port} did not answer the update of _mta-sts.a.example within 2 s", result.Message, StringComparison.Ordinal);
    }
}
