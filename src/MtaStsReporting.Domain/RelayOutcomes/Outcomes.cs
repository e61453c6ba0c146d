using MtaStsReporting.Domain.MtaSts;
using MtaStsReporting.Domain.Names;
using MtaStsReporting.Domain.TlsRpt;

namespace MtaStsReporting.Domain.RelayOutcomes;

/// <summary>
/// The policy a relay applied to a session, as RFC 8460 §4.4 reports it: type, the policy as
/// lines, and the MX patterns. Sessions under one policy aggregate into one report entry.
/// </summary>
public sealed record AppliedPolicy(PolicyType Type, IReadOnlyList<string> PolicyStrings, IReadOnlyList<string> MxHosts)
{
    private string? _key;

    // `with` copies fields; a copy must not inherit the cached key of its original.
    private AppliedPolicy(AppliedPolicy original)
    {
        Type = original.Type;
        PolicyStrings = original.PolicyStrings;
        MxHosts = original.MxHosts;
    }

    /// <summary>Identity of this policy's content; equal policies share it.</summary>
    // Stryker disable once Assignment : "??=" only caches; computing the key again gives the same key.
    public string Key => _key ??= PolicyContent.Key(Type.ToRfcName(), PolicyStrings, MxHosts);
}

/// <summary>One RFC 8460 §4.4 <c>failure-details</c> entry, without its count.</summary>
public sealed record FailureDetail(
    ResultType ResultType,
    string? SendingMtaIp,
    string? ReceivingMxHostname,
    string? ReceivingMxHelo,
    string? ReceivingIp,
    string? FailureReasonCode,
    string? AdditionalInformation)
{
    private string? _key;

    // `with` copies fields; a copy must not inherit the cached key of its original.
    private FailureDetail(FailureDetail original)
    {
        ResultType = original.ResultType;
        SendingMtaIp = original.SendingMtaIp;
        ReceivingMxHostname = original.ReceivingMxHostname;
        ReceivingMxHelo = original.ReceivingMxHelo;
        ReceivingIp = original.ReceivingIp;
        FailureReasonCode = original.FailureReasonCode;
        AdditionalInformation = original.AdditionalInformation;
    }

    /// <summary>Identity of this detail's content; equal details share one counter.</summary>
    // Stryker disable once Assignment : "??=" only caches; computing the key again gives the same key.
    public string Key => _key ??= ContentKey.Of(
        [ResultType.Name, SendingMtaIp, ReceivingMxHostname, ReceivingMxHelo, ReceivingIp, FailureReasonCode, AdditionalInformation]);
}

/// <summary>
/// What a relay saw for <see cref="Count"/> delivery attempts to one policy domain at one time:
/// success, or failure with its details.
/// </summary>
public sealed record SessionOutcome(DomainName PolicyDomain, DateTimeOffset Time, AppliedPolicy Policy, long Count, FailureDetail? Failure)
{
    /// <summary>True when the TLS session met the policy.</summary>
    public bool Succeeded => Failure is null;
}

/// <summary>A policy fetched with success; <see cref="Text"/> is the body as served, when the relay kept it.</summary>
public sealed record FetchedPolicy(StsPolicy Policy, string? Text);

/// <summary>Why a policy fetch failed: one of the RFC 8460 §4.3.3 types and the reason seen.</summary>
public sealed record PolicyFetchFailure(ResultType ResultType, int? HttpStatus, string? Reason);

/// <summary>
/// The outcome of one MTA-STS policy fetch by a relay: the <c>_mta-sts</c> TXT id it saw and
/// either the policy or the failure. Exactly one of <see cref="Policy"/> and <see cref="Failure"/> is set.
/// </summary>
public sealed record PolicyFetchOutcome(DomainName PolicyDomain, DateTimeOffset Time, string? TxtId, FetchedPolicy? Policy, PolicyFetchFailure? Failure)
{
    private string? _key;

    // `with` copies fields; a copy must not inherit the cached key of its original.
    private PolicyFetchOutcome(PolicyFetchOutcome original)
    {
        PolicyDomain = original.PolicyDomain;
        Time = original.Time;
        TxtId = original.TxtId;
        Policy = original.Policy;
        Failure = original.Failure;
    }

    /// <summary>The result name stored with the outcome: <c>success</c> or the failure's result type.</summary>
    public string Result => Failure?.ResultType.Name ?? "success";

    /// <summary>
    /// Identity of what was seen (not when): equal fetches on one day share a row. A policy is
    /// identified by its meaning (mode, max_age, the set of mx patterns), not by how the text
    /// was written (line ends, a final newline, field order, or fields sent without text).
    /// </summary>
    // Stryker disable once Assignment,Linq : "??=" only caches, and any fixed order of the mx set gives one key per set.
    public string Key => _key ??= ContentKey.Of(
        [Result, TxtId],
        Policy is { } p ? [p.Policy.Mode.ToRfcName(), p.Policy.MaxAge.ToString(System.Globalization.CultureInfo.InvariantCulture), .. p.Policy.Mx.Select(m => m.Value).Order(StringComparer.Ordinal)] : [],
        [Failure?.HttpStatus?.ToString(System.Globalization.CultureInfo.InvariantCulture), Failure?.Reason]);
}
