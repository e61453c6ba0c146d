using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Forward;
using MtaStsReporting.Domain.Names;
using MtaStsReporting.Domain.RelayOutcomes;
using DomainPolicy = MtaStsReporting.Domain.RelayOutcomes.AppliedPolicy;
using DomainFailure = MtaStsReporting.Domain.RelayOutcomes.FailureDetail;

namespace MtaStsReporting.Daemon.Tests.Forward;

/// <summary>What the forwarder counted, as relay API batches: exact counts, and split by items.</summary>
public sealed class BatchBuilderTests
{
    private static readonly DateOnly Day = new(2026, 11, 29);
    private static readonly DomainPolicy Sts = new(Domain.TlsRpt.PolicyType.Sts, ["version: STSv1", "mode: testing", "mx: *.example.com", "max_age: 86400"], ["*.example.com"]);

    private static DailyOutcomeDelta Delta(int domains, int detailsEach)
    {
        var delta = new DailyOutcomeDelta();
        for (var d = 0; d < domains; d++)
        {
            var domain = DomainName.Parse($"d{d}.example");
            var details = Enumerable.Range(0, detailsEach)
                .Select(i => new DomainFailure(Domain.TlsRpt.ResultType.CertificateExpired, $"192.0.2.{i + 1}", null, null, null, null, null)).ToArray();
            delta.AddSession(domain, Day, Sts, failed: true, details);
            delta.AddSession(domain, Day, Sts, failed: false, []);
            delta.AddTlsRptRecord(Day, domain, $"v=TLSRPTv1; rua=mailto:tlsrpt@d{d}.example");
        }

        return delta;
    }

    [Fact]
    public void A_day_carries_its_counts_details_and_record_exactly()
    {
        var batch = Assert.Single(BatchBuilder.Build(Delta(1, 2), 100));

        var day = Assert.Single(batch.DailyCounts);
        Assert.Equal(("d0.example", "2026-11-29", 1L, 1L, "v=TLSRPTv1; rua=mailto:tlsrpt@d0.example"),
            (day.PolicyDomain, day.Day, day.Successes, day.Failures, day.TlsrptRecord));
        Assert.Equal(PolicyType.Sts, day.Policy.PolicyType);
        Assert.Equal(["*.example.com"], day.Policy.MxHost);
        Assert.Equal([("192.0.2.1", 1L), ("192.0.2.2", 1L)], day.FailureDetails.Select(f => (f.Failure.SendingMtaIp, f.Count)).Order());
        Assert.All(day.FailureDetails, f => Assert.Equal(ResultType.CertificateExpired, f.Failure.ResultType));
    }

    [Theory]
    [InlineData(9, 1)] // three days of three items each fit in nine
    [InlineData(8, 2)] // the third does not fit in eight: a day and its details stay together
    [InlineData(3, 3)]
    public void Batches_hold_at_most_the_items_allowed_and_never_split_a_day(int maxItems, int batches)
    {
        var built = BatchBuilder.Build(Delta(3, 2), maxItems);

        Assert.Equal(batches, built.Count);
        Assert.Equal(3, built.Sum(b => b.DailyCounts.Count));
        Assert.All(built, b => Assert.True(b.DailyCounts.Sum(d => 1 + d.FailureDetails.Count) <= maxItems));
    }
}
