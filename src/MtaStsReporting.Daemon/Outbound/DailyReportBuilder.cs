using MtaStsReporting.Daemon.Readiness;
using MtaStsReporting.Domain.TlsRpt;
using MtaStsReporting.Domain.TlsRpt.Outbound;
using MtaStsReporting.Persistence.Outbound;
using MtaStsReporting.Persistence.Store;

namespace MtaStsReporting.Daemon.Outbound;

/// <summary>What one build pass did.</summary>
public sealed record BuildPass(int Built, int NoRecord, int Excluded, int LookupFailed);

/// <summary>
/// Builds the reports of every closed day not decided yet. Destinations come from the TLSRPT
/// record a relay saw that day (libtlsrpt's <c>pr</c>, or the relay API's field), else from a
/// DNS look-up of <c>_smtp._tls.&lt;domain&gt;</c> now (RFC 8460 §3). No valid record means no
/// report, recorded as <c>no-record</c> with the reason; a look-up that fails (SERVFAIL, timeout)
/// decides nothing, and the domain is tried again on the next pass.
/// </summary>
public sealed class DailyReportBuilder(ReportingStore store, DnsLookup dns, OutboundOptions options, ILogger<DailyReportBuilder> logger)
{
    /// <summary>Reports stored per transaction.</summary>
    public const int BatchSize = 500;

    private const int ParallelLookups = 16;

    /// <summary>Builds every closed day of the look-back window; returns what it did.</summary>
    public async Task<BuildPass> BuildDueAsync(DateTimeOffset now, OutboundSwitches switches, CancellationToken cancellationToken)
    {
        var schedule = options.Schedule;
        var latest = DateOnly.FromDateTime(now.UtcDateTime);
        while (schedule.BuildAt(latest) > now)
        {
            latest = latest.AddDays(-1);
        }

        var pass = new BuildPass(0, 0, 0, 0);
        foreach (var day in await store.Outbound.UndecidedDaysAsync(latest.AddDays(1 - options.LookbackDays), latest, cancellationToken))
        {
            var one = await BuildDayAsync(day, null, now, switches, cancellationToken);
            pass = new BuildPass(pass.Built + one.Built, pass.NoRecord + one.NoRecord, pass.Excluded + one.Excluded, pass.LookupFailed + one.LookupFailed);
        }

        return pass;
    }

    /// <summary>Builds the undecided domains of one day (or one domain of it).</summary>
    public async Task<BuildPass> BuildDayAsync(DateOnly day, string? domain, DateTimeOffset now, OutboundSwitches switches, CancellationToken cancellationToken)
    {
        var schedule = options.Schedule;
        var submitter = options.Submitter;
        var counts = await store.Outbound.ReadUndecidedAsync(day, domain, cancellationToken);
        int built = 0, noRecord = 0, excluded = 0, failed = 0;
        foreach (var chunk in counts.Chunk(BatchSize))
        {
            var skips = chunk.Where(c => switches.ExcludedDomains.Contains(c.PolicyDomain))
                .Select(c => new OutboundSkip(day, c.PolicyDomain, "excluded", OutboundSwitches.ExcludedReason)).ToList();
            excluded += skips.Count;
            var included = chunk.Where(c => !switches.ExcludedDomains.Contains(c.PolicyDomain)).ToArray();
            var destinations = await DestinationsAsync(included, cancellationToken);
            var reports = new List<BuiltReport>();
            for (var i = 0; i < included.Length; i++)
            {
                var (record, source, problem) = destinations[i];
                if (record is not null)
                {
                    var report = OutboundReportBuilder.Build(submitter, day, included[i].PolicyDomain, record.Rua, included[i].Policies);
                    var first = schedule.FirstAttempt(day, report.ReportId);
                    reports.Add(new BuiltReport(report, source, first > now ? first : now));
                }
                else if (source == LookupFailed)
                {
                    OutboundLog.LookupFailed(logger, included[i].PolicyDomain, Queries.Days.Format(day), problem!);
                    failed++;
                }
                else
                {
                    skips.Add(new OutboundSkip(day, included[i].PolicyDomain, "no-record", problem!));
                    noRecord++;
                }
            }

            built += await store.Outbound.DecideAsync(reports, skips, cancellationToken);
        }

        if (built + noRecord + excluded + failed > 0)
        {
            OutboundLog.DayBuilt(logger, Queries.Days.Format(day), built, noRecord, excluded, failed);
        }

        return new BuildPass(built, noRecord, excluded, failed);
    }

    // Look-ups run side by side: a day of a large relay has many recipient domains, and each
    // look-up mostly waits for the resolver.
    // A look-up that failed: nothing is decided, the domain is tried again on the next pass.
    private const string LookupFailed = "lookup-failed";

    private async Task<(TlsRptRecord? Record, string Source, string? Problem)[]> DestinationsAsync(OutboundDayCounts[] chunk, CancellationToken cancellationToken)
    {
        var result = new (TlsRptRecord?, string, string?)[chunk.Length];
        await Parallel.ForEachAsync(Enumerable.Range(0, chunk.Length), new ParallelOptions { MaxDegreeOfParallelism = ParallelLookups, CancellationToken = cancellationToken }, async (i, token) =>
        {
            var day = chunk[i];
            if (day.TlsRptRecord is { } seen)
            {
                var parsed = TlsRptRecord.Parse([seen]);
                result[i] = (parsed.Record, "relay", parsed.Record is null ? $"the record the relays saw is not valid: {parsed.Error}" : null);
                return;
            }

            var answer = await dns.TxtAsync("_smtp._tls." + day.PolicyDomain, token);
            if (answer.LookupFailed)
            {
                result[i] = (null, LookupFailed, answer.Describe());
                return;
            }

            var fromDns = TlsRptRecord.Parse(answer.Records);
            result[i] = (fromDns.Record, "dns", fromDns.Record is null ? $"_smtp._tls.{day.PolicyDomain}: {fromDns.Error}" : null);
        });
        return result;
    }
}
