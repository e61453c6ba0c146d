using MtaStsReporting.Daemon.Queries;
using MtaStsReporting.Domain.Names;
using MtaStsReporting.Domain.Readiness;

namespace MtaStsReporting.Daemon.Readiness;

/// <summary>A verdict and what it rests on: the live check, and when it was reached.</summary>
/// <param name="Check">The live check of the domain.</param>
/// <param name="Result">The verdict, its reasons and the next policy.</param>
/// <param name="At">When.</param>
public sealed record Judgement(DomainCheck Check, ReadinessResult Result, DateTimeOffset At);

/// <summary>
/// Reaches a readiness verdict for a domain: the live check, the inbound reports of the
/// observation window, and the rules (<see cref="ReadinessEvaluator"/>). Asked by the readiness
/// API and by the policy changes that rest on a verdict.
/// </summary>
public sealed class ReadinessJudge(LiveChecker checker, ReportingQueries queries, ReadinessRules rules, TimeProvider time)
{
    /// <summary>Judges <paramref name="domain"/> now.</summary>
    public async Task<Judgement> JudgeAsync(DomainName domain, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var check = await checker.CheckAsync(domain, cancellationToken);
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var window = new Days(today.AddDays(-Math.Max(rules.ObservationDays, rules.RecentDays)), today);
        var evidence = await queries.ReportDaysAsync(domain.Value, window, cancellationToken);
        return new Judgement(check, ReadinessEvaluator.Evaluate(check.Findings, evidence, rules, now), now);
    }
}
