using Grpc.Core;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Queries;
using MtaStsReporting.Domain.MtaSts;
using MtaStsReporting.Domain.Names;
using MtaStsReporting.Domain.Readiness;
using Verdict = MtaStsReporting.Domain.Readiness.Verdict;

namespace MtaStsReporting.Daemon.Readiness;

/// <summary>The readiness API: runs the live check, reads the evidence, applies the rules, translates.</summary>
public sealed class ReadinessService(LiveChecker checker, ReportingQueries queries, ReadinessRules rules, TimeProvider time) : Api.V1.Readiness.ReadinessBase
{
    /// <inheritdoc />
    public override async Task<DomainCheckResult> CheckDomain(CheckDomainRequest request, ServerCallContext context) =>
        ToProto(await checker.CheckAsync(Domain(request.Domain), context.CancellationToken));

    /// <inheritdoc />
    public override async Task<ReadinessVerdict> GetReadiness(CheckDomainRequest request, ServerCallContext context)
    {
        var domain = Domain(request.Domain);
        var now = time.GetUtcNow();
        var check = await checker.CheckAsync(domain, context.CancellationToken);
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var window = new Days(today.AddDays(-Math.Max(rules.ObservationDays, rules.RecentDays)), today);
        var evidence = await queries.ReportDaysAsync(domain.Value, window, context.CancellationToken);
        var result = ReadinessEvaluator.Evaluate(check.Findings, evidence, rules, now);

        var verdict = new ReadinessVerdict
        {
            Domain = domain.Value,
            Verdict = result.Verdict switch
            {
                Verdict.Ready => ReadinessOutcome.Ready,
                Verdict.NotReady => ReadinessOutcome.NotReady,
                Verdict.InsufficientData => ReadinessOutcome.InsufficientData,
                Verdict.Keep => ReadinessOutcome.Keep,
                _ => ReadinessOutcome.RollBack,
            },
            Mode = result.Mode?.ToRfcName() ?? string.Empty,
            NextPolicyText = result.NextPolicyText ?? string.Empty,
            NextId = result.NextId ?? string.Empty,
            EvaluatedAt = now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            Check = ToProto(check),
        };
        foreach (var reason in result.Reasons)
        {
            var r = new ReadinessReason { Code = reason.Code, Severity = ToProto(reason.Severity), Message = reason.Message };
            foreach (var (key, value) in reason.Evidence)
            {
                r.Evidence[key] = value;
            }
            verdict.Reasons.Add(r);
        }

        return verdict;
    }

    private static DomainName Domain(string text) => DomainName.TryParse(text, out var name, out var error)
        ? name
        : throw new RpcException(new Status(StatusCode.InvalidArgument, "domain: " + error));

    private static DomainCheckResult ToProto(DomainCheck check)
    {
        var result = new DomainCheckResult
        {
            Domain = check.Domain,
            TxtId = check.Findings.Record?.Id ?? string.Empty,
            PolicyText = check.PolicyText ?? string.Empty,
            Blocking = check.Items.Any(i => i.Severity == Severity.Blocking),
        };
        result.MxHosts.AddRange(check.Findings.MxHosts);
        result.Rua.AddRange(check.Rua);
        result.Findings.AddRange(check.Items.Select(i => new CheckFinding
        {
            Check = i.Check, Subject = i.Subject, Value = i.Value, Severity = ToProto(i.Severity), Message = i.Message,
        }));
        return result;
    }

    private static FindingSeverity ToProto(Severity severity) => severity switch
    {
        Severity.Info => FindingSeverity.Info,
        Severity.Warning => FindingSeverity.Warning,
        Severity.Insufficient => FindingSeverity.Insufficient,
        _ => FindingSeverity.Blocking,
    };
}
