using MtaStsReporting.Persistence.Store;
using MtaStsReporting.Persistence.Tests.Support;

namespace MtaStsReporting.Persistence.Tests.Coordination;

/// <summary>Leases: one holder at a time, renewed by it, taken over only once expired, released at a clean stop.</summary>
public sealed class LeaseStoreTests
{
    private static readonly DateTimeOffset Now = TestStore.DefaultNow;

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task A_lease_is_held_by_one_instance_until_it_expires_or_is_released(StoreProvider engine)
    {
        await using var t = await TestStore.OpenAsync(engine);
        await using var other = await t.OpenAnotherAsync();
        var leases = t.Store.Leases;

        Assert.True(await leases.TryTakeAsync("mailbox:a", "one", Now.AddSeconds(30), CancellationToken.None));
        Assert.False(await other.Leases.TryTakeAsync("mailbox:a", "two", Now.AddSeconds(60), CancellationToken.None));
        Assert.True(await other.Leases.TryTakeAsync("retention", "two", Now.AddSeconds(30), CancellationToken.None));

        // Renewed by its holder: still refused to the other one millisecond before the new expiry…
        t.Clock.Now = Now.AddSeconds(20);
        Assert.True(await leases.TryTakeAsync("mailbox:a", "one", Now.AddSeconds(50), CancellationToken.None));
        t.Clock.Now = Now.AddSeconds(50).AddMilliseconds(-1);
        Assert.False(await other.Leases.TryTakeAsync("mailbox:a", "two", Now.AddSeconds(80), CancellationToken.None));

        // …and taken over at the expiry itself.
        t.Clock.Now = Now.AddSeconds(50);
        Assert.True(await other.Leases.TryTakeAsync("mailbox:a", "two", Now.AddSeconds(80), CancellationToken.None));
        Assert.False(await leases.TryTakeAsync("mailbox:a", "one", Now.AddSeconds(80), CancellationToken.None));

        // Released by its holder (only): free at once.
        await leases.ReleaseAsync("mailbox:a", "one", CancellationToken.None);
        Assert.False(await leases.TryTakeAsync("mailbox:a", "one", Now.AddSeconds(80), CancellationToken.None));
        await other.Leases.ReleaseAsync("mailbox:a", "two", CancellationToken.None);
        Assert.True(await leases.TryTakeAsync("mailbox:a", "one", Now.AddSeconds(80), CancellationToken.None));
    }
}
