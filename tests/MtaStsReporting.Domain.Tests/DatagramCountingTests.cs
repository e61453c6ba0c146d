using MtaStsReporting.Domain.Names;
using MtaStsReporting.Domain.RelayOutcomes;
using MtaStsReporting.Domain.TlsRpt;
using Datagrams = MtaStsReporting.Domain.RelayOutcomes.Datagrams;

namespace MtaStsReporting.Domain.Tests;

/// <summary>How libtlsrpt's sessions and a forwarder's counted days add into the daily delta.</summary>
public class DatagramCountingTests
{
    private static readonly AppliedPolicy Sts = new(PolicyType.Sts, ["version: STSv1", "mode: testing", "mx: mx.example.com", "max_age: 86400"], ["mx.example.com"]);
    private static readonly DomainName Example = DomainName.Parse("example.com");
    private static readonly DateOnly Day = new(2026, 11, 29);

    private static FailureDetail Expired(string ip) => new(ResultType.CertificateExpired, ip, "mx.example.com", null, "192.0.2.25", null, null);

    [Fact]
    public void A_day_counted_elsewhere_is_added_as_it_is_and_merges_with_sessions()
    {
        var delta = new DailyOutcomeDelta();
        delta.AddSession(Example, Day, Sts, failed: true, [Expired("198.51.100.1")]);
        // A forwarder's day: 4 successes, 2 failures, and 3 detail counts (a failure may have several).
        delta.AddDay(Example, Day, Sts, 4, 2, [(Expired("198.51.100.1"), 2), (Expired("198.51.100.2"), 1)]);

        var counts = Assert.Single(delta.PolicyDays).Value;
        Assert.Equal((4L, 3L), (counts.Successes, counts.Failures));
        Assert.Equal([1L, 3L], delta.Failures.Values.Select(f => f.Count).Order());
        Assert.Equal(7, delta.SessionCount);
        Assert.Single(delta.Policies);
    }

    [Fact]
    public void A_datagram_session_counts_once_whatever_its_details()
    {
        var delta = new DailyOutcomeDelta();
        delta.AddSession(Example, Day, Sts, failed: true, []);
        delta.AddSession(Example, Day, Sts, failed: true, [Expired("198.51.100.1"), Expired("198.51.100.2")]);
        delta.AddSession(Example, Day, Sts, failed: false, []);

        var counts = Assert.Single(delta.PolicyDays).Value;
        Assert.Equal((1L, 2L), (counts.Successes, counts.Failures));
        Assert.Equal([1L, 1L], delta.Failures.Values.Select(f => f.Count));
        Assert.Equal(3, delta.SessionCount);
        Assert.False(delta.IsEmpty);
    }

    [Fact]
    public void Merging_keeps_sessions_details_and_records_of_both()
    {
        var a = new DailyOutcomeDelta();
        a.AddSession(Example, Day, Sts, failed: true, [Expired("198.51.100.1")]);
        a.AddTlsRptRecord(Day, Example, "v=TLSRPTv1; rua=mailto:a@example.com");
        var b = new DailyOutcomeDelta();
        b.AddDay(Example, Day, Sts, 2, 1, [(Expired("198.51.100.1"), 1)]);

        a.Merge(b);

        Assert.Equal((2L, 2L), (a.PolicyDays.Single().Value.Successes, a.PolicyDays.Single().Value.Failures));
        Assert.Equal(2, a.Failures.Single().Value.Count);
        Assert.Equal(4, a.SessionCount);
        Assert.Equal("v=TLSRPTv1; rua=mailto:a@example.com", a.TlsRptRecords[new RecordDayKey(Day, Example)]);
    }

    [Fact]
    public void A_day_alone_brings_its_policy_and_a_merge_brings_the_other_deltas_policies()
    {
        var day = new DailyOutcomeDelta();
        day.AddDay(Example, Day, Sts, 1, 0, []);
        Assert.Equal(Sts.Key, Assert.Single(day.Policies).Key);

        var merged = new DailyOutcomeDelta();
        merged.Merge(day);
        Assert.Equal(Sts.Key, Assert.Single(merged.Policies).Key);
    }

    [Fact]
    public void Missing_arguments_are_refused()
    {
        var delta = new DailyOutcomeDelta();
        Assert.Throws<ArgumentNullException>(() => delta.AddSession(Example, Day, null!, false, []));
        Assert.Throws<ArgumentNullException>(() => delta.AddSession(Example, Day, Sts, false, null!));
        Assert.Throws<ArgumentNullException>(() => delta.AddDay(Example, Day, null!, 1, 0, []));
        Assert.Throws<ArgumentNullException>(() => delta.AddDay(Example, Day, Sts, 1, 0, null!));
        Assert.Throws<ArgumentNullException>(() => delta.AddTlsRptRecord(Day, Example, null!));
        Assert.Throws<ArgumentNullException>(() => delta.Merge(null!));
        Assert.Throws<ArgumentNullException>(() => new Datagrams.LibTlsRptDatagram(Example, null, []).FoldInto(null!, Day));
        Assert.True(delta.IsEmpty);
    }
}
