using MtaStsReporting.Domain.Access;
using MtaStsReporting.Persistence.RelayOutcomes;
using MtaStsReporting.Persistence.Store;
using MtaStsReporting.Persistence.Tests.Support;

namespace MtaStsReporting.Persistence.Tests.Store;

/// <summary>The one writer: every kind of write shares its transactions, and one unit's failure stays its own.</summary>
public sealed class GroupCommitterTests
{
    private static readonly DateTimeOffset Now = TestStore.DefaultNow;

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task Relay_batches_reports_and_key_changes_queued_together_are_committed_in_one_transaction(StoreProvider engine)
    {
        await using var t = await TestStore.OpenAsync(engine);
        var (held, release) = t.HoldWriter();

        var relay = Enumerable.Range(0, 20).Select(i => t.Store.Relay.CommitAsync(new PendingBatch($"b{i}", Rows.Delta("example.com", Now, 10, 1)), CancellationToken.None)).ToList();
        var reports = t.Store.Reports.SaveAsync([Rows.Report("Reporter Inc", "r1", Now.Date, "example.com", 5, 2)], [], CancellationToken.None);
        var key = t.Store.Keys.CreateAsync("relay-1", Role.Relay, CancellationToken.None);
        var commitsBefore = t.Store.Health.GroupCommits;
        release.Set();
        await held;

        Assert.All(await Task.WhenAll(relay), r => Assert.Equal(BatchCommitResult.Committed, r));
        Assert.Equal(MtaStsReporting.Persistence.Reports.ReportStoreResult.Imported, Assert.Single(await reports).Result);
        Assert.Equal("relay-1", (await key).Info.Name);
        // The held unit's group, then one group with all 22 units queued behind it.
        Assert.Equal(22, t.Store.Health.LargestGroup);
        Assert.Equal(commitsBefore + 2, t.Store.Health.GroupCommits);
        var counts = Assert.Single(await Rows.CountsAsync(t.Store));
        Assert.Equal((200, 20), (counts.SuccessCount, counts.FailureCount));
        Assert.Equal((5, 2), Assert.Single(await Rows.InboundAsync(t.Store)) is var r ? (r.SuccessCount, r.FailureCount) : default);
    }

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task A_unit_that_fails_fails_alone_and_the_units_that_shared_its_transaction_are_committed(StoreProvider engine)
    {
        await using var t = await TestStore.OpenAsync(engine);
        var (held, release) = t.HoldWriter();

        var before = t.Store.Relay.CommitAsync(new PendingBatch("before", Rows.Delta("example.com", Now, 3)), CancellationToken.None);
        // A statement the database refuses: no such table.
        var broken = t.Store.WriteAsync(new WriteUnit<int>(s => s.Execute("INSERT INTO no_such_table (x) VALUES (@x)", 1)), CancellationToken.None);
        var after = t.Store.Relay.CommitAsync(new PendingBatch("after", Rows.Delta("example.com", Now, 4)), CancellationToken.None);
        release.Set();
        await held;

        Assert.Equal(BatchCommitResult.Committed, await before);
        Assert.Equal(BatchCommitResult.Committed, await after);
        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => broken);
        Assert.Contains("no_such_table", error.Message, StringComparison.Ordinal);
        Assert.Equal(7, Assert.Single(await Rows.CountsAsync(t.Store)).SuccessCount);
        // The last transaction (the second of the units tried alone) went through.
        Assert.Null(t.Store.Health.LastError);
    }

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task A_failed_transaction_is_the_store_health_until_the_next_commit(StoreProvider engine)
    {
        await using var t = await TestStore.OpenAsync(engine);

        await Assert.ThrowsAsync<StoreUnavailableException>(() => t.Store.WriteAsync(new WriteUnit<int>(s => s.Execute("DELETE FROM no_such_table")), CancellationToken.None));
        Assert.Contains("no_such_table", await t.Store.ProblemAsync(CancellationToken.None), StringComparison.Ordinal);

        await t.Store.Relay.CommitAsync(new PendingBatch("ok", Rows.Delta("example.com", Now, 1)), CancellationToken.None);
        Assert.Null(await t.Store.ProblemAsync(CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task Closing_the_store_commits_every_unit_already_queued_and_refuses_later_ones(StoreProvider engine)
    {
        var t = await TestStore.OpenAsync(engine);
        var (held, release) = t.HoldWriter();
        var queued = Enumerable.Range(0, 50).Select(i => t.Store.Relay.CommitAsync(new PendingBatch($"q{i}", Rows.Delta("example.com", Now, 1)), CancellationToken.None)).ToList();

        var closing = t.Store.DisposeAsync().AsTask();
        release.Set();
        await closing;

        Assert.All(await Task.WhenAll(queued), r => Assert.Equal(BatchCommitResult.Committed, r));
        await Assert.ThrowsAsync<InvalidOperationException>(() => t.Store.Relay.CommitAsync(new PendingBatch("late", Rows.Delta("example.com", Now, 1)), CancellationToken.None));
        await using var reopened = await t.OpenAnotherAsync();
        Assert.Equal(50, Assert.Single(await Rows.CountsAsync(reopened)).SuccessCount);
        await t.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task A_commit_listener_that_throws_neither_runs_a_committed_group_again_nor_stops_the_writer(StoreProvider engine)
    {
        var commits = 0;
        await using var t = await TestStore.OpenAsync(engine, _ =>
        {
            Interlocked.Increment(ref commits);
            throw new InvalidOperationException("a broken listener");
        });
        var (held, release) = t.HoldWriter();
        var runs = new int[2];
        // Both units queue behind the held one and commit together.
        var units = Enumerable.Range(0, 2).Select(i => t.Store.WriteAsync(new WriteUnit<int>(_ => { Interlocked.Increment(ref runs[i]); return i; }), CancellationToken.None)).ToList();
        release.Set();
        await held;

        var results = await Task.WhenAll(units);
        Assert.Equal(new[] { 0, 1 }, results);
        Assert.Equal(new[] { 1, 1 }, runs);
        Assert.Equal(BatchCommitResult.Committed, await t.Store.Relay.CommitAsync(new PendingBatch("after", Rows.Delta("example.com", Now, 1)), CancellationToken.None));
        Assert.Equal(1, Assert.Single(await Rows.CountsAsync(t.Store)).SuccessCount);
        Assert.True(commits >= 3, $"the listener heard {commits} commits");
    }
}
