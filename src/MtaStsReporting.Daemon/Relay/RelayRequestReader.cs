using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Hosting;
using MtaStsReporting.Domain.MtaSts;
using MtaStsReporting.Domain.Names;
using MtaStsReporting.Domain.RelayOutcomes;
using DomainFailure = MtaStsReporting.Domain.RelayOutcomes.FailureDetail;
using DomainPolicyType = MtaStsReporting.Domain.TlsRpt.PolicyType;
using DomainResultType = MtaStsReporting.Domain.TlsRpt.ResultType;
using FailureDetail = MtaStsReporting.Api.V1.FailureDetail;
using PolicyFetchOutcome = MtaStsReporting.Api.V1.PolicyFetchOutcome;
using PolicyType = MtaStsReporting.Api.V1.PolicyType;
using ResultType = MtaStsReporting.Api.V1.ResultType;
using SessionOutcome = MtaStsReporting.Api.V1.SessionOutcome;
using AppliedPolicy = MtaStsReporting.Api.V1.AppliedPolicy;
using FetchedPolicy = MtaStsReporting.Api.V1.FetchedPolicy;
using StsPolicyMode = MtaStsReporting.Api.V1.StsPolicyMode;
using PolicyFetchFailure = MtaStsReporting.Domain.RelayOutcomes.PolicyFetchFailure;

namespace MtaStsReporting.Daemon.Relay;

/// <summary>
/// Turns relay API messages into domain outcomes, enforcing every rule and limit. The first
/// broken rule is returned as a value; the caller then stores nothing of the batch.
/// </summary>
public sealed class RelayRequestReader(RelayOptions options, TimeProvider time)
{
    // Limits on what one outcome may carry. Generous for real relays, small enough that no
    // single request can make the store grow without bound.
    internal const int MaxBatchIdLength = 128;
    internal const int MaxPolicyStrings = OutcomeFields.MaxPolicyStrings;
    internal const int MaxPolicyStringLength = OutcomeFields.MaxPolicyStringLength;
    internal const int MaxMxHosts = OutcomeFields.MaxMxHosts;
    internal const int MaxHeloLength = OutcomeFields.MaxHeloLength;
    internal const int MaxReasonLength = OutcomeFields.MaxReasonLength;
    internal const int MaxAdditionalInformationLength = OutcomeFields.MaxAdditionalInformationLength;
    internal const long MaxCount = 1_000_000_000;

    // Relays report the same few thousand domains and policies over and over: their checked,
    // normalised forms are kept, so that each is validated and hashed once rather than per
    // outcome. Only successes are kept; validation does not depend on the time.
    private readonly BoundedCache<string, DomainName> _domains = new(100_000);
    private readonly BoundedCache<AppliedPolicy, Domain.RelayOutcomes.AppliedPolicy> _policies = new(10_000);

    /// <summary>Checks a batch id: 1 to 128 printable ASCII characters.</summary>
    public static FieldError? CheckBatchId(string batchId, string field = "batch_id")
    {
        if (batchId.Length == 0)
        {
            return new FieldError(field, "is required; give each batch an id of its own and reuse it when retrying");
        }

        if (batchId.Length > MaxBatchIdLength)
        {
            return new FieldError(field, $"is longer than {MaxBatchIdLength} characters");
        }

        return batchId.All(c => c is >= '!' and <= '~') ? null : new FieldError(field, "must be printable ASCII without spaces");
    }

    /// <summary>
    /// Reads the outcomes of one message into <paramref name="into"/>. <paramref name="prefix"/>
    /// is put before field paths (a stream names its message). Returns the first error, or null.
    /// On error, <paramref name="into"/> may hold part of the message and must be discarded.
    /// </summary>
    public FieldError? Read(OutcomeBatch message, string prefix, DailyOutcomeDelta into)
    {
        var items = ItemsIn(message);
        if (items > options.MaxBatchItems)
        {
            return new FieldError(prefix + "session_outcomes", $"the message carries {items} outcomes; at most {options.MaxBatchItems} are allowed");
        }

        var now = time.GetUtcNow();
        for (var i = 0; i < message.SessionOutcomes.Count; i++)
        {
            var error = ReadSession(message.SessionOutcomes[i], $"{prefix}session_outcomes[{i}]", now, out var outcome);
            if (error is not null)
            {
                return error;
            }

            into.Add(outcome!);
            if (message.SessionOutcomes[i].TlsrptRecord.Length > 0)
            {
                into.AddTlsRptRecord(Domain.RelayOutcomes.DailyOutcomeDelta.UtcDay(outcome!.Time), outcome.PolicyDomain, message.SessionOutcomes[i].TlsrptRecord);
            }
        }

        for (var i = 0; i < message.PolicyFetchOutcomes.Count; i++)
        {
            var error = ReadFetch(message.PolicyFetchOutcomes[i], $"{prefix}policy_fetch_outcomes[{i}]", now, out var outcome);
            if (error is not null)
            {
                return error;
            }

            into.Add(outcome!);
        }

        for (var i = 0; i < message.DailyCounts.Count; i++)
        {
            if (ReadDaily(message.DailyCounts[i], $"{prefix}daily_counts[{i}]", now, into) is { } error)
            {
                return error;
            }
        }

        return null;
    }

    /// <summary>What a message counts against the item limits: each outcome, each day of counts and each of its details.</summary>
    public static int ItemsIn(OutcomeBatch message) =>
        message.SessionOutcomes.Count + message.PolicyFetchOutcomes.Count + message.DailyCounts.Sum(d => 1 + d.FailureDetails.Count);

    private FieldError? ReadDaily(DailyCounts m, string path, DateTimeOffset now, DailyOutcomeDelta into)
    {
        if (ReadDomain(m.PolicyDomain, path + ".policy_domain", out var domain) is { } domainError)
        {
            return domainError;
        }

        if (!DateOnly.TryParseExact(m.Day, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var day))
        {
            return new FieldError(path + ".day", $"'{Domain.Quote.Shorten(m.Day)}' is not a day (YYYY-MM-DD)");
        }

        if (day > DailyOutcomeDelta.UtcDay(now + options.MaxFutureSkew))
        {
            return new FieldError(path + ".day", $"{m.Day} is after the daemon's day ({DailyOutcomeDelta.UtcDay(now):yyyy-MM-dd})");
        }

        if (day < DailyOutcomeDelta.UtcDay(now - options.MaxOutcomeAge))
        {
            return new FieldError(path + ".day", $"{m.Day} is older than {options.MaxOutcomeAge.TotalDays:0.#} days (Relay:MaxOutcomeAge)");
        }

        if (m.Successes < 0 || m.Successes > MaxCount || m.Failures < 0 || m.Failures > MaxCount || m.Successes + m.Failures < 1)
        {
            return new FieldError(path, $"successes and failures must each be between 0 and {MaxCount}, and not both 0 (got {m.Successes} and {m.Failures})");
        }

        if (ReadCachedPolicy(m.Policy, path + ".policy", out var policy) is { } policyError)
        {
            return policyError;
        }

        var details = new List<(DomainFailure, long)>(m.FailureDetails.Count);
        for (var i = 0; i < m.FailureDetails.Count; i++)
        {
            var detailPath = $"{path}.failure_details[{i}]";
            var d = m.FailureDetails[i];
            if (d.Failure is null)
            {
                return new FieldError(detailPath + ".failure", "is required");
            }

            if (ReadFailure(d.Failure, detailPath + ".failure", out var failure) is { } failureError)
            {
                return failureError;
            }

            if (d.Count < 1 || d.Count > MaxCount)
            {
                return new FieldError(detailPath + ".count", $"must be between 1 and {MaxCount} (got {d.Count})");
            }

            details.Add((failure!, d.Count));
        }

        if (CheckText(m.TlsrptRecord, OutcomeFields.MaxTlsRptRecordLength) is { } recordProblem)
        {
            return new FieldError(path + ".tlsrpt_record", recordProblem);
        }

        into.AddDay(domain, day, policy, m.Successes, m.Failures, details);
        if (m.TlsrptRecord.Length > 0)
        {
            into.AddTlsRptRecord(day, domain, m.TlsrptRecord);
        }

        return null;
    }

    private FieldError? ReadSession(SessionOutcome m, string path, DateTimeOffset now, out Domain.RelayOutcomes.SessionOutcome? outcome)
    {
        outcome = null;
        if (ReadDomain(m.PolicyDomain, path + ".policy_domain", out var domain) is { } domainError)
        {
            return domainError;
        }

        if (CheckTime(m.Time, path + ".time", now, out var at) is { } timeError)
        {
            return timeError;
        }

        if (m.Count < 1 || m.Count > MaxCount)
        {
            return new FieldError(path + ".count", $"must be between 1 and {MaxCount} (got {m.Count})");
        }

        if (ReadCachedPolicy(m.Policy, path + ".policy", out var policy) is { } policyError)
        {
            return policyError;
        }

        DomainFailure? failure = null;
        if (m.Failure is not null && ReadFailure(m.Failure, path + ".failure", out failure) is { } failureError)
        {
            return failureError;
        }

        if (CheckText(m.TlsrptRecord, OutcomeFields.MaxTlsRptRecordLength) is { } recordProblem)
        {
            return new FieldError(path + ".tlsrpt_record", recordProblem);
        }

        outcome = new Domain.RelayOutcomes.SessionOutcome(domain, at, policy, m.Count, failure);
        return null;
    }

    /// <summary>A policy checked once and then remembered (relays send the same few again and again).</summary>
    private FieldError? ReadCachedPolicy(AppliedPolicy? m, string field, out Domain.RelayOutcomes.AppliedPolicy policy)
    {
        policy = null!;
        if (m is null)
        {
            return new FieldError(field, "is required");
        }

        if (_policies.TryGet(m, out policy))
        {
            return null;
        }

        if (ReadPolicy(m, field, out var read) is { } error)
        {
            return error;
        }

        policy = read!;
        _policies.Add(m, policy);
        return null;
    }

    private FieldError? ReadDomain(string text, string field, out DomainName domain)
    {
        if (_domains.TryGet(text, out domain))
        {
            return null;
        }

        if (!DomainName.TryParse(text, out domain, out var error))
        {
            return new FieldError(field, error);
        }

        _domains.Add(text, domain);
        return null;
    }

    private static FieldError? ReadPolicy(AppliedPolicy m, string path, out Domain.RelayOutcomes.AppliedPolicy? policy)
    {
        policy = null;
        DomainPolicyType type;
        switch (m.PolicyType)
        {
            case PolicyType.Sts: type = DomainPolicyType.Sts; break;
            case PolicyType.Tlsa: type = DomainPolicyType.Tlsa; break;
            case PolicyType.NoPolicyFound: type = DomainPolicyType.NoPolicyFound; break;
            case PolicyType.Unspecified:
                return new FieldError(path + ".policy_type", "is required (sts, tlsa or no-policy-found)");
            default:
                return new FieldError(path + ".policy_type", $"{(int)m.PolicyType} is not a known policy type");
        }

        if (type == DomainPolicyType.NoPolicyFound && (m.PolicyString.Count > 0 || m.MxHost.Count > 0))
        {
            return new FieldError(path, "a no-policy-found policy has no policy_string and no mx_host");
        }

        if (m.PolicyString.Count > MaxPolicyStrings)
        {
            return new FieldError(path + ".policy_string", $"has {m.PolicyString.Count} lines; at most {MaxPolicyStrings} are allowed");
        }

        for (var i = 0; i < m.PolicyString.Count; i++)
        {
            if (CheckText(m.PolicyString[i], MaxPolicyStringLength) is { } problem)
            {
                return new FieldError($"{path}.policy_string[{i}]", problem);
            }
        }

        if (m.MxHost.Count > MaxMxHosts)
        {
            return new FieldError(path + ".mx_host", $"has {m.MxHost.Count} patterns; at most {MaxMxHosts} are allowed");
        }

        var mx = new string[m.MxHost.Count];
        for (var i = 0; i < mx.Length; i++)
        {
            if (!MxPattern.TryParse(m.MxHost[i], out var pattern, out var error))
            {
                return new FieldError($"{path}.mx_host[{i}]", error);
            }

            mx[i] = pattern.Value;
        }

        policy = new Domain.RelayOutcomes.AppliedPolicy(type, m.PolicyString.ToArray(), mx);
        return null;
    }

    private FieldError? ReadFailure(FailureDetail m, string path, out DomainFailure? failure)
    {
        failure = null;
        if (ToResultType(m.ResultType, path + ".result_type", out var resultType) is { } typeError)
        {
            return typeError;
        }

        if (OptionalIp(m.SendingMtaIp, path + ".sending_mta_ip", out var sendingIp) is { } e1)
        {
            return e1;
        }

        if (OptionalIp(m.ReceivingIp, path + ".receiving_ip", out var receivingIp) is { } e2)
        {
            return e2;
        }

        string? mxHost = null;
        if (m.ReceivingMxHostname.Length > 0)
        {
            if (ReadDomain(m.ReceivingMxHostname, path + ".receiving_mx_hostname", out var host) is { } hostError)
            {
                return hostError;
            }

            mxHost = host.Value;
        }

        // The HELO name is kept as the MX announced it: it may be an address literal or wrong,
        // and that is what a report reader needs to see.
        if (CheckText(m.ReceivingMxHelo, MaxHeloLength) is { } heloProblem)
        {
            return new FieldError(path + ".receiving_mx_helo", heloProblem);
        }

        if (CheckText(m.FailureReasonCode, MaxReasonLength) is { } reasonProblem)
        {
            return new FieldError(path + ".failure_reason_code", reasonProblem);
        }

        if (CheckText(m.AdditionalInformation, MaxAdditionalInformationLength) is { } infoProblem)
        {
            return new FieldError(path + ".additional_information", infoProblem);
        }

        failure = new DomainFailure(resultType, sendingIp, mxHost, Empty(m.ReceivingMxHelo), receivingIp, Empty(m.FailureReasonCode), Empty(m.AdditionalInformation));
        return null;
    }

    private FieldError? ReadFetch(PolicyFetchOutcome m, string path, DateTimeOffset now, out Domain.RelayOutcomes.PolicyFetchOutcome? outcome)
    {
        outcome = null;
        if (ReadDomain(m.PolicyDomain, path + ".policy_domain", out var domain) is { } domainError)
        {
            return domainError;
        }

        if (CheckTime(m.Time, path + ".time", now, out var at) is { } timeError)
        {
            return timeError;
        }

        // RFC 8461 §3.1: sts-id = 1*32(ALPHA / DIGIT).
        if (m.TxtId.Length > 32 || !m.TxtId.All(char.IsAsciiLetterOrDigit))
        {
            return new FieldError(path + ".txt_id", "must be 1 to 32 letters and digits (RFC 8461 §3.1), or empty when no record was seen");
        }

        var txtId = Empty(m.TxtId);
        switch (m.ResultCase)
        {
            case PolicyFetchOutcome.ResultOneofCase.Policy:
                if (ReadFetchedPolicy(m.Policy, path + ".policy", out var fetched) is { } policyError)
                {
                    return policyError;
                }

                outcome = new Domain.RelayOutcomes.PolicyFetchOutcome(domain, at, txtId, fetched, null);
                return null;
            case PolicyFetchOutcome.ResultOneofCase.Failure:
                if (ToResultType(m.Failure.ResultType, path + ".failure.result_type", out var type) is { } typeError)
                {
                    return typeError;
                }

                if (!DomainResultType.PolicyFetchFailures.Contains(type))
                {
                    return new FieldError(path + ".failure.result_type", $"{type} is not a policy fetch failure (sts-policy-fetch-error, sts-policy-invalid, sts-webpki-invalid)");
                }

                if (m.Failure.HttpStatus != 0 && (m.Failure.HttpStatus < 100 || m.Failure.HttpStatus > 599))
                {
                    return new FieldError(path + ".failure.http_status", $"{m.Failure.HttpStatus} is not an HTTP status (100-599, or 0 for none)");
                }

                if (CheckText(m.Failure.Reason, MaxReasonLength) is { } reasonProblem)
                {
                    return new FieldError(path + ".failure.reason", reasonProblem);
                }

                outcome = new Domain.RelayOutcomes.PolicyFetchOutcome(domain, at, txtId, null,
                    new PolicyFetchFailure(type, m.Failure.HttpStatus == 0 ? null : m.Failure.HttpStatus, Empty(m.Failure.Reason)));
                return null;
            default:
                return new FieldError(path, "needs either policy (fetched) or failure");
        }
    }

    private static FieldError? ReadFetchedPolicy(FetchedPolicy m, string path, out Domain.RelayOutcomes.FetchedPolicy? fetched)
    {
        fetched = null;
        var hasFields = m.Mode != StsPolicyMode.Unspecified || m.MaxAge != 0 || m.Mx.Count > 0;
        StsPolicy? fromFields = null;
        if (hasFields || m.PolicyText.Length == 0)
        {
            if (ReadPolicyFields(m, path, out fromFields) is { } fieldError)
            {
                return fieldError;
            }
        }

        if (m.PolicyText.Length == 0)
        {
            fetched = new Domain.RelayOutcomes.FetchedPolicy(fromFields!, null);
            return null;
        }

        if (System.Text.Encoding.UTF8.GetByteCount(m.PolicyText) > StsPolicy.MaxTextBytes)
        {
            return new FieldError(path + ".policy_text", $"is larger than {StsPolicy.MaxTextBytes} bytes");
        }

        var parsed = StsPolicy.Parse(m.PolicyText);
        if (!parsed.IsValid)
        {
            return new FieldError(path + ".policy_text",
                $"is not a valid MTA-STS policy ({parsed.Error}); a relay reports such a fetch as a failure with RESULT_TYPE_STS_POLICY_INVALID");
        }

        if (fromFields is not null && !SamePolicy(fromFields, parsed.Policy))
        {
            return new FieldError(path, "mode, max_age and mx disagree with policy_text; send one of them, or both alike");
        }

        fetched = new Domain.RelayOutcomes.FetchedPolicy(parsed.Policy, m.PolicyText);
        return null;
    }

    private static FieldError? ReadPolicyFields(FetchedPolicy m, string path, out StsPolicy? policy)
    {
        policy = null;
        Domain.MtaSts.StsPolicyMode mode;
        switch (m.Mode)
        {
            case StsPolicyMode.Enforce: mode = Domain.MtaSts.StsPolicyMode.Enforce; break;
            case StsPolicyMode.Testing: mode = Domain.MtaSts.StsPolicyMode.Testing; break;
            case StsPolicyMode.None: mode = Domain.MtaSts.StsPolicyMode.None; break;
            default: return new FieldError(path + ".mode", "is required (enforce, testing or none) unless policy_text is given");
        }

        if (m.MaxAge < 0 || m.MaxAge > StsPolicy.MaxMaxAge)
        {
            return new FieldError(path + ".max_age", $"must be between 0 and {StsPolicy.MaxMaxAge} seconds (RFC 8461 §3.2)");
        }

        if (m.Mx.Count > MaxMxHosts)
        {
            return new FieldError(path + ".mx", $"has {m.Mx.Count} patterns; at most {MaxMxHosts} are allowed");
        }

        var mx = new List<MxPattern>(m.Mx.Count);
        for (var i = 0; i < m.Mx.Count; i++)
        {
            if (!MxPattern.TryParse(m.Mx[i], out var pattern, out var error))
            {
                return new FieldError($"{path}.mx[{i}]", error);
            }

            mx.Add(pattern);
        }

        if (mx.Count == 0 && mode != Domain.MtaSts.StsPolicyMode.None)
        {
            return new FieldError(path + ".mx", "is required unless the mode is none (RFC 8461 §3.2)");
        }

        policy = new StsPolicy(mode, m.MaxAge, mx);
        return null;
    }

    private static bool SamePolicy(StsPolicy a, StsPolicy b) =>
        a.Mode == b.Mode && a.MaxAge == b.MaxAge && a.Mx.SequenceEqual(b.Mx);

    private FieldError? CheckTime(Google.Protobuf.WellKnownTypes.Timestamp? timestamp, string field, DateTimeOffset now, out DateTimeOffset at)
    {
        at = default;
        if (timestamp is null)
        {
            return new FieldError(field, "is required");
        }

        if (timestamp.Nanos is < 0 or > 999_999_999 || timestamp.Seconds < -62135596800 || timestamp.Seconds > 253402300799)
        {
            return new FieldError(field, "is not a valid timestamp");
        }

        at = timestamp.ToDateTimeOffset();
        if (at > now + options.MaxFutureSkew)
        {
            return new FieldError(field, $"{at:O} is in the future (the daemon's clock reads {now:O})");
        }

        if (at < now - options.MaxOutcomeAge)
        {
            return new FieldError(field, $"{at:O} is older than {options.MaxOutcomeAge.TotalDays:0.#} days (Relay:MaxOutcomeAge)");
        }

        return null;
    }

    internal static FieldError? ToResultType(ResultType value, string field, out DomainResultType type)
    {
        type = value switch
        {
            ResultType.StarttlsNotSupported => DomainResultType.StartTlsNotSupported,
            ResultType.CertificateHostMismatch => DomainResultType.CertificateHostMismatch,
            ResultType.CertificateExpired => DomainResultType.CertificateExpired,
            ResultType.CertificateNotTrusted => DomainResultType.CertificateNotTrusted,
            ResultType.ValidationFailure => DomainResultType.ValidationFailure,
            ResultType.TlsaInvalid => DomainResultType.TlsaInvalid,
            ResultType.DnssecInvalid => DomainResultType.DnssecInvalid,
            ResultType.DaneRequired => DomainResultType.DaneRequired,
            ResultType.StsPolicyFetchError => DomainResultType.StsPolicyFetchError,
            ResultType.StsPolicyInvalid => DomainResultType.StsPolicyInvalid,
            ResultType.StsWebpkiInvalid => DomainResultType.StsWebPkiInvalid,
            _ => default,
        };
        if (type.Name is not null)
        {
            return null;
        }

        return value == ResultType.Unspecified
            ? new FieldError(field, "is required")
            : new FieldError(field, $"{(int)value} is not a known result type");
    }

    private static FieldError? OptionalIp(string text, string field, out string? normalised)
    {
        normalised = null;
        if (text.Length == 0)
        {
            return null;
        }

        if (!OutcomeFields.TryNormaliseIp(text, out var ip))
        {
            return new FieldError(field, $"'{Domain.Quote.Shorten(text)}' is not an IPv4 or IPv6 address");
        }

        normalised = ip;
        return null;
    }

    private static string? CheckText(string text, int maxLength) => OutcomeFields.CheckText(text, maxLength);

    private static string? Empty(string text) => text.Length == 0 ? null : text;

}
