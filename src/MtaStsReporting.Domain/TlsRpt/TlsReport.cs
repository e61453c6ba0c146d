namespace MtaStsReporting.Domain.TlsRpt;

/// <summary>
/// An RFC 8460 report (§4.4) as the reporter sent it: values are kept as sent, oddities are
/// listed in <see cref="Flags"/> rather than "fixed". Policy domains are normalised when they
/// are valid names.
/// </summary>
public sealed record TlsReport(
    string OrganizationName,
    string? ContactInfo,
    string ReportId,
    DateTimeOffset StartDatetime,
    DateTimeOffset EndDatetime,
    IReadOnlyList<TlsReportPolicy> Policies,
    IReadOnlyList<ReportFlag> Flags)
{
    /// <summary>Sum of the policies' total-successful-session-count.</summary>
    public long SuccessCount => Policies.Sum(p => p.TotalSuccessfulSessionCount);

    /// <summary>Sum of the policies' total-failure-session-count.</summary>
    public long FailureCount => Policies.Sum(p => p.TotalFailureSessionCount);

    /// <summary>Distinct policy domains the report covers.</summary>
    public IReadOnlyList<string> PolicyDomains =>
        Policies.Select(p => p.PolicyDomain).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
}

/// <summary>One entry of <c>policies</c>: the policy applied, its summary and its failure details.</summary>
public sealed record TlsReportPolicy(
    string PolicyType,
    IReadOnlyList<string> PolicyStrings,
    string? PolicyDomain,
    IReadOnlyList<string> MxHosts,
    long TotalSuccessfulSessionCount,
    long TotalFailureSessionCount,
    IReadOnlyList<TlsReportFailureDetail> FailureDetails);

/// <summary>One <c>failure-details</c> entry.</summary>
public sealed record TlsReportFailureDetail(
    string ResultType,
    string? SendingMtaIp,
    string? ReceivingMxHostname,
    string? ReceivingMxHelo,
    string? ReceivingIp,
    long FailedSessionCount,
    string? AdditionalInformation,
    string? FailureReasonCode);

/// <summary>
/// Something a report does that RFC 8460 does not say, but that real senders do: the report is
/// kept, and each oddity is recorded with where it was found.
/// </summary>
/// <param name="Code">A stable code, one of <see cref="ReportFlags"/>.</param>
/// <param name="Detail">Where and what, e.g. <c>policies[0]: failure-details sum to 2, total is 1</c>.</param>
public sealed record ReportFlag(string Code, string Detail)
{
    /// <inheritdoc />
    public override string ToString() => $"{Code}: {Detail}";
}

/// <summary>The flag codes.</summary>
public static class ReportFlags
{
    /// <summary>A date-time without a time zone (read as UTC).</summary>
    public const string DateWithoutTimeZone = "date-without-time-zone";

    /// <summary>A count sent as a JSON string.</summary>
    public const string NumberAsString = "number-as-string";

    /// <summary>A count or field that should be there is missing or null (read as 0 / absent).</summary>
    public const string MissingField = "missing-field";

    /// <summary>Draft-era or misspelt key names, read as their RFC names.</summary>
    public const string AlternateKeyName = "alternate-key-name";

    /// <summary><c>mx-host</c> or <c>policy-string</c> as a string rather than an array.</summary>
    public const string StringForArray = "string-for-array";

    /// <summary>A policy-type that is not one of RFC 8460's (or not in its case).</summary>
    public const string UnknownPolicyType = "unknown-policy-type";

    /// <summary>A result-type RFC 8460 does not define.</summary>
    public const string UnknownResultType = "unknown-result-type";

    /// <summary>Failure details that do not add up to total-failure-session-count.</summary>
    public const string FailureCountMismatch = "failure-count-mismatch";

    /// <summary>No policy-domain in the JSON; taken from the mail or the file name.</summary>
    public const string PolicyDomainInferred = "policy-domain-inferred";

    /// <summary>No policy-domain anywhere.</summary>
    public const string PolicyDomainMissing = "policy-domain-missing";

    /// <summary>A policy-domain that is not a valid domain name (kept as sent).</summary>
    public const string PolicyDomainInvalid = "policy-domain-invalid";

    /// <summary>policy-string lines ending in a carriage return.</summary>
    public const string CarriageReturnInPolicyString = "carriage-return-in-policy-string";

    /// <summary>A policy-string element that itself holds a JSON-encoded array.</summary>
    public const string JsonEncodedPolicyString = "json-encoded-policy-string";

    /// <summary>contact-info missing or null.</summary>
    public const string NoContactInfo = "no-contact-info";

    /// <summary>The report id in the mail subject differs from the one in the JSON.</summary>
    public const string ReportIdDiffers = "report-id-differs";

    /// <summary>The attachment's declared type does not match its bytes (e.g. +gzip holding JSON).</summary>
    public const string MediaTypeMismatch = "media-type-mismatch";

    /// <summary>A date range that is not one whole UTC day.</summary>
    public const string UnusualDateRange = "unusual-date-range";
}
