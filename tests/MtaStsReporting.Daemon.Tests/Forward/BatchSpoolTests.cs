using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Forward;
using MtaStsReporting.Daemon.Tests.Support;

namespace MtaStsReporting.Daemon.Tests.Forward;

/// <summary>The forwarder's spool: batches kept whole, all of an offer or none.</summary>
public sealed class BatchSpoolTests
{
    private static OutcomeBatch Batch(string domain) => new() { DailyCounts = { new DailyCounts { PolicyDomain = domain, Day = "2026-11-29", Successes = 1 } } };

    [Fact]
    public void An_offer_that_cannot_be_written_whole_leaves_nothing_spooled_so_its_counts_are_not_sent_twice()
    {
        using var dir = new TempDirectory();
        var spool = new BatchSpool(dir.Path, 1024 * 1024);
        // The second batch's temporary file cannot be created: a folder has its name.
        Directory.CreateDirectory(Path.Combine(dir.Path, "0000000000000001.batch.tmp"));

        Assert.Throws<UnauthorizedAccessException>(() => spool.TryAdd([Batch("a.example"), Batch("b.example")]));

        Assert.Equal((0, 0L), (spool.Count, spool.Bytes));
        Assert.Null(spool.Oldest());
        Assert.Empty(Directory.GetFiles(dir.Path, "*.batch"));

        // The same offer again, once it can be written, is spooled whole with the same ids.
        Directory.Delete(Path.Combine(dir.Path, "0000000000000001.batch.tmp"));
        Assert.True(spool.TryAdd([Batch("a.example"), Batch("b.example")]));
        Assert.Equal(2, spool.Count);
        var first = spool.Oldest()!;
        Assert.Equal("a.example", BatchSpool.Read(first).DailyCounts[0].PolicyDomain);
        Assert.EndsWith("-0", first.BatchId, StringComparison.Ordinal);
    }

    [Fact]
    public void An_offer_over_the_size_limit_is_refused_whole_and_says_the_spool_is_full()
    {
        using var dir = new TempDirectory();
        using var probeDir = new TempDirectory();
        var probe = new BatchSpool(probeDir.Path, 1024 * 1024);
        Assert.True(probe.TryAdd([Batch("a.example")]));
        // Room for two batches, not three.
        var spool = new BatchSpool(dir.Path, 2 * probe.Bytes + 1);

        Assert.True(spool.TryAdd([Batch("a.example")]));
        Assert.False(spool.TryAdd([Batch("b.example"), Batch("c.example")]));

        Assert.True(spool.Full);
        Assert.Equal(1, spool.Count);
        Assert.True(spool.TryAdd([Batch("b.example")]));
        Assert.False(spool.Full);
    }
}
