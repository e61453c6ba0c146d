using Grpc.Core;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Domain.MtaSts;
using MtaStsReporting.Domain.Names;
using MtaStsReporting.Domain.Readiness;
using Verdict = MtaStsReporting.Domain.Readiness.Verdict;

namespace MtaStsReporting.Daemon.Readiness;

/// <summary>The readiness API: runs the live check, reads the evidence, applies the rules, translates.</summary>
public sealed class ReadinessService(LiveChecker checker, ReadinessJudge judge) : Api.V1.Readiness.ReadinessBase
{
    /// <inheritdoc />
    public override async Task<DomainCheckResult> CheckDomain(CheckDomainRequest request, ServerCallContext context) =>
        ToProto(await checker.CheckAsync(Domain(request.Domain), context.CancellationToken));

    /// <inheritdoc />
    public override async Task<ReadinessVerdict> GetReadiness(CheckDomainRequest request, ServerCallContext context) =>
        ToProto(await judge.JudgeAsync(Domain(request.Domain), context.CancellationToken));

    /// <summary>A verdict as the API answers it.</summary>
    public static ReadinessVerdict ToProto(Judgement judgement)
    {
        var result = judgement.Result;
        var verdict = new ReadinessVerdict
        {
            Domain = judgement.Check.Domain,
            Verdict = ToProto(result.Verdict),
            Mode = result.Mode?.ToRfcName() ?? string.Empty,
            NextPolicyText = result.NextPolicyText ?? string.Empty,
            NextId = result.NextId ?? string.Empty,
            EvaluatedAt = judgement.At.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            Check = ToProto(judgement.Check),
        };
        verdict.Reasons.AddRange(result.Reasons.Select(ToProto));
        return verdict;
    }

    /// <summary>A verdict's name as the API gives it.</summary>
    public static ReadinessOutcome ToProto(Verdict verdict) => verdict switch
    {
        Verdict.Ready => ReadinessOutcome.Ready,
        Verdict.NotReady => ReadinessOutcome.NotReady,
        Verdict.InsufficientData => ReadinessOutcome.InsufficientData,
        Verdict.Keep => ReadinessOutcome.Keep,
        _ => ReadinessOutcome.RollBack,
    };

    /// <summary>A reason as the API gives it.</summary>
    public static ReadinessReason ToProto(Reason reason)
    {
        var r = new ReadinessReason { Code = reason.Code, Severity = ToProto(reason.Severity), Message = reason.Message };
        foreach (var (key, value) in reason.Evidence)
        {
            r.Evidence[key] = value;
        }

        return r;
    }

    private static DomainName Domain(string text) => DomainName.TryParse(text, out var name, out var error)
        ? name
        : throw new RpcException(new Status(StatusCode.InvalidArgument, "domain: " + error));

    /// <summary>A live check as the API answers it.</summary>
    public static DomainCheckResult ToProto(DomainCheck check)
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

    /// <summary>A severity as the API gives it.</summary>
    public static FindingSeverity ToProto(Severity severity) => severity switch
    {
        Severity.Info => FindingSeverity.Info,
        Severity.Warning => FindingSeverity.Warning,
        Severity.Insufficient => FindingSeverity.Insufficient,
        _ => FindingSeverity.Blocking,
    };
}
