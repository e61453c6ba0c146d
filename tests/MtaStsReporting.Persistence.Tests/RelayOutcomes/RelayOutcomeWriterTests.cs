using Microsoft.EntityFrameworkCore;
using MtaStsReporting.Persistence.RelayOutcomes;
using MtaStsReporting.Persistence.Store;
using MtaStsReporting.Persistence.Tests.Support;

namespace MtaStsReporting.Persistence.Tests.RelayOutcomes;

/// <summary>Relay batches add up exactly, once per id, from one writer or several instances.</summary>
public sealed class RelayOutcomeWriterTests
{
    private static readonly DateTimeOffset Now = TestStore.DefaultNow;

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task Batches_add_to_the_day_and_a_batch_id_seen_before_adds_nothing(StoreProvider engine)
    {
        await using var t = await TestStore.OpenAsync(engine);

        Assert.Equal(BatchCommitResult.Committed, await t.Store.Relay.CommitAsync(new PendingBatch("a", Rows.Delta("example.com", Now, 10, 2)), CancellationToken.None));
        Assert.Equal(BatchCommitResult.Committed, await t.Store.Relay.CommitAsync(new PendingBatch("b", Rows.Delta("example.com", Now.AddHours(3), 5, 1)), CancellationToken.None));
        Assert.Equal(BatchCommitResult.Duplicate, await t.Store.Relay.CommitAsync(new PendingBatch("a", Rows.Delta("example.com", Now, 1000)), CancellationToken.None));
        // The next UTC day is a row of its own.
        await t.Store.Relay.CommitAsync(new PendingBatch("c", Rows.Delta("example.com", new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero), 7)), CancellationToken.None);

        var rows = (await Rows.CountsAsync(t.Store)).OrderBy(r => r.Day).ToList();
        Assert.Equal([(new DateOnly(2026, 11, 29), 15L, 3L), (new DateOnly(2026, 11, 30), 7L, 0L)], rows.Select(r => (r.Day, r.SuccessCount, r.FailureCount)));
        await using var db = t.Store.CreateContext();
        var detail = Assert.Single(await db.DailyFailureDetails.AsNoTracking().ToListAsync());
        Assert.Equal(("certificate-expired", "192.0.2.1", "mx.example.com", "198.51.100.7", 3L),
            (detail.ResultType, detail.SendingMtaIp, detail.ReceivingMxHostname, detail.ReceivingIp, detail.FailedSessionCount));
        Assert.Equal(3, await db.RelayBatches.CountAsync());
        Assert.Equal("testing", Assert.Single(await db.Policies.AsNoTracking().ToListAsync()).Mode);
    }

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task The_tlsrpt_record_relays_saw_is_kept_per_domain_and_day_and_the_last_one_of_a_day_wins(StoreProvider engine)
    {
        await using var t = await TestStore.OpenAsync(engine);
        var day = DateOnly.FromDateTime(Now.UtcDateTime);
        var example = Domain.Names.DomainName.Parse("example.com");
        async Task Send(string id, DateOnly on, string record)
        {
            var delta = Rows.Delta("example.com", Now, 1);
            delta.AddTlsRptRecord(on, example, record);
            await t.Store.Relay.CommitAsync(new PendingBatch(id, delta), CancellationToken.None);
        }

        await Send("a", day, "v=TLSRPTv1; rua=mailto:old@example.com");
        await Send("b", day, "v=TLSRPTv1; rua=mailto:new@example.com");
        // The same record again is not written again, and does not undo the change.
        await Send("c", day, "v=TLSRPTv1; rua=mailto:new@example.com");
        await Send("d", day.AddDays(1), "v=TLSRPTv1; rua=https://reports.example.com/v1");

        await using var db = t.Store.CreateContext();
        var rows = await db.TlsRptRecordDays.AsNoTracking().OrderBy(r => r.Day).ToListAsync();
        Assert.Equal([(day, "example.com", "v=TLSRPTv1; rua=mailto:new@example.com"), (day.AddDays(1), "example.com", "v=TLSRPTv1; rua=https://reports.example.com/v1")],
            rows.Select(r => (r.Day, r.RecipientDomain, r.Record)));
    }

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task A_retry_that_joins_the_first_attempt_in_one_transaction_counts_once(StoreProvider engine)
    {
        await using var t = await TestStore.OpenAsync(engine);
        var (held, release) = t.HoldWriter();

        var first = t.Store.Relay.CommitAsync(new PendingBatch("same", Rows.Delta("example.com", Now, 10)), CancellationToken.None);
        var other = t.Store.Relay.CommitAsync(new PendingBatch("other", Rows.Delta("example.com", Now, 1)), CancellationToken.None);
        var retry = t.Store.Relay.CommitAsync(new PendingBatch("same", Rows.Delta("example.com", Now, 10)), CancellationToken.None);
        release.Set();
        await held;

        Assert.Equal((BatchCommitResult.Committed, BatchCommitResult.Committed, BatchCommitResult.Duplicate), (await first, await other, await retry));
        Assert.Equal(11, Assert.Single(await Rows.CountsAsync(t.Store)).SuccessCount);
    }

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task Three_instances_writing_the_same_counters_with_retried_ids_add_up_exactly(StoreProvider engine)
    {
        await using var t = await TestStore.OpenAsync(engine);
        await using var second = await t.OpenAnotherAsync();
        await using var third = await t.OpenAnotherAsync();
        ReportingStore[] instances = [t.Store, second, third];
        const int Batches = 300;
        string[] domains = ["a.example", "b.example", "c.example", "d.example"];

        // Every batch touches every domain's rows, in an order that differs per batch; each is
        // sent to one instance and retried on another, as a relay behind a load balancer does.
        var calls = Enumerable.Range(0, Batches).SelectMany(i =>
        {
            var delta = new Domain.RelayOutcomes.DailyOutcomeDelta();
            foreach (var d in domains.Skip(i % 4).Concat(domains.Take(i % 4)))
            {
                delta.Merge(Rows.Delta(d, Now, 1, 1));
            }

            return new[] { instances[i % 3].Relay.CommitAsync(new PendingBatch($"batch-{i}", delta), CancellationToken.None),
                instances[(i + 1) % 3].Relay.CommitAsync(new PendingBatch($"batch-{i}", delta), CancellationToken.None) };
        }).ToList();
        var results = await Task.WhenAll(calls);

        Assert.Equal(Batches, results.Count(r => r == BatchCommitResult.Committed));
        Assert.Equal(Batches, results.Count(r => r == BatchCommitResult.Duplicate));
        var rows = await Rows.CountsAsync(t.Store);
        Assert.Equal(domains, rows.Select(r => r.PolicyDomain).Order());
        Assert.All(rows, r => Assert.Equal((Batches, Batches), (r.SuccessCount, r.FailureCount)));
    }
}
