using MtaStsReporting.Domain.Access;
using MtaStsReporting.Persistence.Store;
using MtaStsReporting.Persistence.Tests.Support;

namespace MtaStsReporting.Persistence.Tests.Security;

/// <summary>API keys through the writer: shown once, stored hashed, revoked for good.</summary>
public sealed class ApiKeyStoreTests
{
    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task A_key_authenticates_with_its_role_until_revoked_and_revoking_keeps_the_first_time(StoreProvider engine)
    {
        await using var t = await TestStore.OpenAsync(engine);
        var (info, key) = await t.Store.Keys.CreateAsync("dashboard", Role.Reader, CancellationToken.None);

        Assert.Equal((Role.Reader, "dashboard", TestStore.DefaultNow), ((await t.Store.Keys.AuthenticateAsync(key, CancellationToken.None))!.Role, info.Name, info.CreatedAt));
        Assert.Null(await t.Store.Keys.AuthenticateAsync(key[..^1] + (key[^1] == 'A' ? 'B' : 'A'), CancellationToken.None));
        Assert.Null(await t.Store.Keys.AuthenticateAsync("msr_" + info.Id, CancellationToken.None));

        t.Clock.Now = TestStore.DefaultNow.AddHours(1);
        Assert.True(await t.Store.Keys.RevokeAsync(info.Id, CancellationToken.None));
        t.Clock.Now = TestStore.DefaultNow.AddHours(2);
        Assert.True(await t.Store.Keys.RevokeAsync(info.Id, CancellationToken.None));
        Assert.False(await t.Store.Keys.RevokeAsync("000000000000", CancellationToken.None));

        Assert.Null(await t.Store.Keys.AuthenticateAsync(key, CancellationToken.None));
        var listed = Assert.Single(await t.Store.Keys.ListAsync(CancellationToken.None));
        Assert.Equal(TestStore.DefaultNow.AddHours(1), listed.RevokedAt);
    }
}
