using MtaStsReporting.Persistence.Policies;
using MtaStsReporting.Persistence.Store;
using MtaStsReporting.Persistence.Tests.Support;

namespace MtaStsReporting.Persistence.Tests.Policies;

/// <summary>Our own policies as data: versions kept, one served, changes only from the version planned against, half-way failures undone.</summary>
public sealed class PolicyStoreTests
{
    private const string Testing = "version: STSv1\r\nmode: testing\r\nmx: mx.a.example\r\nmax_age: 86400\r\n";
    private const string Enforce = "version: STSv1\r\nmode: enforce\r\nmx: mx.a.example\r\nmax_age: 86400\r\n";

    private static NewPolicyVersion Change(string text, string id, string origin = "set", params string[] overridden) =>
        new("a.example", id, text, "key 0a1b2c (ops)", origin, "moving on", overridden, overridden.Length > 0 ? "NOT_READY" : "", """{"reasons":[]}""");

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task Each_change_is_a_new_version_served_at_once_and_kept_in_the_history(StoreProvider engine)
    {
        await using var t = await TestStore.OpenAsync(engine);
        var policies = t.Store.Policies;

        var first = await policies.ServeAsync(Change(Testing, "20261129120000", "settings"), null, CancellationToken.None);
        t.Clock.Now = TestStore.DefaultNow.AddHours(1);
        var second = await policies.ServeAsync(Change(Enforce, "20261129130000", "apply", "enforce-not-ready: readiness is NOT_READY"), 1, CancellationToken.None);

        Assert.Equal((1, PolicyState.Served, "settings", false), (first!.Version, first.State, first.Origin, first.Forced));
        Assert.Equal((2, true, TestStore.DefaultNow.AddHours(1)), (second!.Version, second.Forced, second.CreatedAt));
        var served = await policies.ServedAsync("a.example", CancellationToken.None);
        Assert.Equivalent(second, served, strict: true);
        Assert.Equal(["enforce-not-ready: readiness is NOT_READY"], served!.Overridden);
        Assert.Equal([2, 1], (await policies.HistoryAsync("a.example", CancellationToken.None)).Select(v => v.Version));
        Assert.Equal((Testing, "key 0a1b2c (ops)", "moving on", """{"reasons":[]}"""),
            (first.PolicyText, (await policies.HistoryAsync("a.example", CancellationToken.None))[1].Actor, first.Reason, first.Evidence));
        Assert.Null(await policies.ServedAsync("b.example", CancellationToken.None));
        Assert.Empty(await policies.HistoryAsync("b.example", CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task A_change_planned_against_a_version_no_longer_served_writes_nothing(StoreProvider engine)
    {
        await using var t = await TestStore.OpenAsync(engine);
        var policies = t.Store.Policies;
        await policies.ServeAsync(Change(Testing, "1"), null, CancellationToken.None);
        await policies.ServeAsync(Change(Enforce, "2"), 1, CancellationToken.None);

        Assert.Null(await policies.ServeAsync(Change(Testing, "3"), 1, CancellationToken.None));
        Assert.Null(await policies.ServeAsync(Change(Testing, "3"), null, CancellationToken.None));

        Assert.Equal(["2", "1"], (await policies.HistoryAsync("a.example", CancellationToken.None)).Select(v => v.PolicyId));
        Assert.Equal(2, (await policies.ServedAsync("a.example", CancellationToken.None))!.Version);
    }

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task A_step_that_failed_half_way_serves_the_version_before_it_again(StoreProvider engine)
    {
        await using var t = await TestStore.OpenAsync(engine);
        var policies = t.Store.Policies;
        await policies.ServeAsync(Change(Testing, "1"), null, CancellationToken.None);
        await policies.RecordAsync("a.example", 1, PolicyState.Confirmed, "the record and the policy were seen", CancellationToken.None);
        await policies.ServeAsync(Change(Enforce, "2"), 1, CancellationToken.None);
        t.Clock.Now = TestStore.DefaultNow.AddMinutes(1);

        Assert.True(await policies.RevertAsync("a.example", 2, 1, "the DNS update was refused: REFUSED", CancellationToken.None));

        var served = (await policies.ServedAsync("a.example", CancellationToken.None))!;
        Assert.Equal((1, PolicyState.Confirmed, Testing), (served.Version, served.State, served.PolicyText));
        var failed = (await policies.HistoryAsync("a.example", CancellationToken.None))[0];
        Assert.Equal((2, PolicyState.Failed, "the DNS update was refused: REFUSED", TestStore.DefaultNow.AddMinutes(1)), (failed.Version, failed.State, failed.Outcome, failed.UpdatedAt));
        // Undone once: the version served is no longer the failed one.
        Assert.False(await policies.RevertAsync("a.example", 2, 1, "again", CancellationToken.None));
        Assert.Equal(1, (await policies.ServedAsync("a.example", CancellationToken.None))!.Version);
    }

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task A_first_policy_that_failed_leaves_the_domain_unserved(StoreProvider engine)
    {
        await using var t = await TestStore.OpenAsync(engine);
        await t.Store.Policies.ServeAsync(Change(Testing, "1"), null, CancellationToken.None);

        Assert.True(await t.Store.Policies.RevertAsync("a.example", 1, null, "refused", CancellationToken.None));

        Assert.Empty(await t.Store.Policies.ServedAsync(CancellationToken.None));
        Assert.Equal(PolicyState.Failed, Assert.Single(await t.Store.Policies.HistoryAsync("a.example", CancellationToken.None)).State);
        // The next attempt is version 2: numbers are never reused.
        Assert.Equal(2, (await t.Store.Policies.ServeAsync(Change(Testing, "2"), null, CancellationToken.None))!.Version);
    }
}
