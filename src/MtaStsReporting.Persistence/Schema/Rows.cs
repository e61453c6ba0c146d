namespace MtaStsReporting.Persistence.Schema;

// Rows of the store. Relay outcomes are kept only as per-day aggregates in the shape of an
// RFC 8460 report (§4.4): one row per policy, per policy domain and day with its summary
// counts, one per distinct failure detail with its count. Raw per-attempt rows would grow with
// traffic; these grow with the number of distinct (domain, policy, failure) combinations.

/// <summary>A distinct applied policy (type, lines, MX patterns), shared by all days that use it.</summary>
public sealed class PolicyRow
{
    /// <summary>Content key (see the domain's AppliedPolicy.Key).</summary>
    public required string PolicyKey { get; set; }

    /// <summary>RFC 8460 policy-type.</summary>
    public required string PolicyType { get; set; }

    /// <summary>The policy lines as a JSON array.</summary>
    public required string PolicyStrings { get; set; }

    /// <summary>The MX patterns as a JSON array.</summary>
    public required string MxHosts { get; set; }

    /// <summary>The mode the policy lines state (enforce, testing, none), when they state one.</summary>
    public string? Mode { get; set; }
}

/// <summary>Successes and failures of sessions to one policy domain under one policy on one UTC day.</summary>
public sealed class DailyPolicyCountRow
{
    /// <summary>UTC day.</summary>
    public DateOnly Day { get; set; }

    /// <summary>Normalised policy domain.</summary>
    public required string PolicyDomain { get; set; }

    /// <summary>Applied policy.</summary>
    public required string PolicyKey { get; set; }

    /// <summary>total-successful-session-count.</summary>
    public long SuccessCount { get; set; }

    /// <summary>total-failure-session-count.</summary>
    public long FailureCount { get; set; }
}

/// <summary>One failure-details entry of a day's report, with its failed-session-count.</summary>
public sealed class DailyFailureDetailRow
{
    /// <summary>UTC day.</summary>
    public DateOnly Day { get; set; }

    /// <summary>Normalised policy domain.</summary>
    public required string PolicyDomain { get; set; }

    /// <summary>Applied policy.</summary>
    public required string PolicyKey { get; set; }

    /// <summary>Content key of the detail.</summary>
    public required string DetailKey { get; set; }

    /// <summary>result-type.</summary>
    public required string ResultType { get; set; }

    /// <summary>sending-mta-ip.</summary>
    public string? SendingMtaIp { get; set; }

    /// <summary>receiving-mx-hostname.</summary>
    public string? ReceivingMxHostname { get; set; }

    /// <summary>receiving-mx-helo.</summary>
    public string? ReceivingMxHelo { get; set; }

    /// <summary>receiving-ip.</summary>
    public string? ReceivingIp { get; set; }

    /// <summary>failure-reason-code.</summary>
    public string? FailureReasonCode { get; set; }

    /// <summary>additional-information.</summary>
    public string? AdditionalInformation { get; set; }

    /// <summary>failed-session-count.</summary>
    public long FailedSessionCount { get; set; }
}

/// <summary>
/// Equal MTA-STS policy fetch outcomes for one domain on one UTC day: what was seen, first and
/// last time, and how often. The rows of a domain ordered by day and time are its fetch history.
/// </summary>
public sealed class PolicyFetchDayRow
{
    /// <summary>UTC day.</summary>
    public DateOnly Day { get; set; }

    /// <summary>Normalised policy domain.</summary>
    public required string PolicyDomain { get; set; }

    /// <summary>Content key of the outcome.</summary>
    public required string OutcomeKey { get; set; }

    /// <summary><c>success</c> or the RFC 8460 result type of the failure.</summary>
    public required string Result { get; set; }

    /// <summary>The <c>id</c> of the <c>_mta-sts</c> TXT record the relay saw.</summary>
    public string? TxtId { get; set; }

    /// <summary>Policy mode, on success.</summary>
    public string? Mode { get; set; }

    /// <summary>Policy max_age, on success.</summary>
    public long? MaxAge { get; set; }

    /// <summary>Policy MX patterns as a JSON array, on success.</summary>
    public string? MxPatterns { get; set; }

    /// <summary>Policy body as served, when the relay sent it.</summary>
    public string? PolicyText { get; set; }

    /// <summary>HTTP status of a failed fetch, when there was one.</summary>
    public int? HttpStatus { get; set; }

    /// <summary>Reason of a failed fetch (TLS error, parse error, …).</summary>
    public string? FailureReason { get; set; }

    /// <summary>Earliest fetch with this outcome that day.</summary>
    public DateTimeOffset FirstSeen { get; set; }

    /// <summary>Latest fetch with this outcome that day.</summary>
    public DateTimeOffset LastSeen { get; set; }

    /// <summary>Number of fetches with this outcome that day.</summary>
    public long FetchCount { get; set; }
}

/// <summary>A relay batch id already committed: a retry with the same id is counted once.</summary>
public sealed class RelayBatchRow
{
    /// <summary>The id the relay chose.</summary>
    public required string BatchId { get; set; }

    /// <summary>When the batch was committed.</summary>
    public DateTimeOffset CommittedAt { get; set; }

    /// <summary>Sum of its session counts.</summary>
    public long SessionCount { get; set; }

    /// <summary>Number of its policy fetch outcomes.</summary>
    public long FetchCount { get; set; }
}

/// <summary>
/// Inbound reports folded per UTC day (the day the report's range starts), per policy domain,
/// per reporting organisation and per policy: what reporters said about our domains, in a shape
/// that day-range queries read without touching the reports themselves.
/// </summary>
public sealed class InboundDailyCountRow
{
    /// <summary>UTC day.</summary>
    public DateOnly Day { get; set; }

    /// <summary>Normalised policy domain.</summary>
    public required string PolicyDomain { get; set; }

    /// <summary>organization-name of the reporter.</summary>
    public required string OrganizationName { get; set; }

    /// <summary>Policy the reporter saw.</summary>
    public required string PolicyKey { get; set; }

    /// <summary>Sum of total-successful-session-count.</summary>
    public long SuccessCount { get; set; }

    /// <summary>Sum of total-failure-session-count.</summary>
    public long FailureCount { get; set; }

    /// <summary>Reports folded in.</summary>
    public long ReportCount { get; set; }
}

/// <summary>Inbound failure details folded per day, domain, reporter, policy and detail.</summary>
public sealed class InboundDailyFailureRow
{
    /// <summary>UTC day.</summary>
    public DateOnly Day { get; set; }

    /// <summary>Normalised policy domain.</summary>
    public required string PolicyDomain { get; set; }

    /// <summary>organization-name of the reporter.</summary>
    public required string OrganizationName { get; set; }

    /// <summary>Policy the reporter saw.</summary>
    public required string PolicyKey { get; set; }

    /// <summary>Content key of the detail.</summary>
    public required string DetailKey { get; set; }

    /// <summary>result-type as sent.</summary>
    public required string ResultType { get; set; }

    /// <summary>sending-mta-ip.</summary>
    public string? SendingMtaIp { get; set; }

    /// <summary>receiving-mx-hostname.</summary>
    public string? ReceivingMxHostname { get; set; }

    /// <summary>receiving-ip.</summary>
    public string? ReceivingIp { get; set; }

    /// <summary>Sum of failed-session-count.</summary>
    public long FailedSessionCount { get; set; }
}

/// <summary>An API key: its id, name, role and the hash of its secret.</summary>
public sealed class ApiKeyRow
{
    /// <summary>Public part of the key.</summary>
    public required string Id { get; set; }

    /// <summary>What it is for, e.g. the relay's host name.</summary>
    public required string Name { get; set; }

    /// <summary>1 relay, 2 reader, 3 admin.</summary>
    public int Role { get; set; }

    /// <summary>SHA-256 of the secret, hex.</summary>
    public required string SecretHash { get; set; }

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When it was revoked.</summary>
    public DateTimeOffset? RevokedAt { get; set; }
}

/// <summary>
/// A job that one instance at a time must run (a mailbox, the retention sweep, the outbound
/// reports): held by one instance until it expires, renewed by its holder.
/// </summary>
public sealed class LeaseRow
{
    /// <summary>The job: <c>retention</c>, <c>mailbox:…</c>.</summary>
    public required string Name { get; set; }

    /// <summary>The instance holding it (host, process and start).</summary>
    public required string Holder { get; set; }

    /// <summary>When it is free again unless renewed.</summary>
    public DateTimeOffset ExpiresAt { get; set; }
}

/// <summary>
/// The TLSRPT record (RFC 8460 §3) a relay saw for a recipient domain on a UTC day (libtlsrpt's
/// <c>pr</c>): where that day's outbound report goes, without a DNS look-up.
/// </summary>
public sealed class TlsRptRecordDayRow
{
    /// <summary>UTC day.</summary>
    public DateOnly Day { get; set; }

    /// <summary>Normalised recipient domain.</summary>
    public required string RecipientDomain { get; set; }

    /// <summary>The record text as the relay passed it on; the last one seen that day.</summary>
    public required string Record { get; set; }
}

/// <summary>Sessions and failures of one policy domain on one UTC day, per direction: what the domain list reads.</summary>
public sealed class DomainDayRow
{
    /// <summary>1 outbound, 2 inbound (the API's Direction).</summary>
    public int Direction { get; set; }

    /// <summary>UTC day.</summary>
    public DateOnly Day { get; set; }

    /// <summary>Normalised policy domain.</summary>
    public required string PolicyDomain { get; set; }

    /// <summary>Sessions (successful and failed).</summary>
    public long Sessions { get; set; }

    /// <summary>Failed sessions.</summary>
    public long Failures { get; set; }
}

/// <summary>The same per week (keyed by its Monday), so that a range reads whole weeks as one row each.</summary>
public sealed class DomainWeekRow
{
    /// <summary>1 outbound, 2 inbound.</summary>
    public int Direction { get; set; }

    /// <summary>The Monday that starts the week.</summary>
    public DateOnly Week { get; set; }

    /// <summary>Normalised policy domain.</summary>
    public required string PolicyDomain { get; set; }

    /// <summary>Sessions (successful and failed).</summary>
    public long Sessions { get; set; }

    /// <summary>Failed sessions.</summary>
    public long Failures { get; set; }
}

/// <summary>
/// One version of one of our own MTA-STS policies (RFC 8461 §3.2), as served at
/// <c>mta-sts.&lt;domain&gt;</c>, with the <c>_mta-sts</c> id that goes with it (§3.1), who made it,
/// why, and what became of it.
/// </summary>
public sealed class PolicyVersionRow
{
    /// <summary>The policy domain.</summary>
    public required string Domain { get; set; }

    /// <summary>1, 2, 3… per domain.</summary>
    public int Version { get; set; }

    /// <summary>The <c>id</c> of the <c>_mta-sts</c> TXT record for this version.</summary>
    public required string PolicyId { get; set; }

    /// <summary>The policy file's body, as served.</summary>
    public required string PolicyText { get; set; }

    /// <summary><c>served</c>, <c>confirmed</c> or <c>failed</c>.</summary>
    public required string State { get; set; }

    /// <summary>When it was made.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When its state last changed.</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Who made it: an API key, a client certificate, the settings.</summary>
    public required string Actor { get; set; }

    /// <summary><c>settings</c>, <c>set</c> or <c>apply</c>.</summary>
    public required string Origin { get; set; }

    /// <summary>The reason given with the change.</summary>
    public required string Reason { get; set; }

    /// <summary>True when refusals were overridden.</summary>
    public bool Forced { get; set; }

    /// <summary>The refusals overridden, a JSON array of strings.</summary>
    public required string Overridden { get; set; }

    /// <summary>The readiness verdict the change rested on (<c>READY</c>, <c>ROLL_BACK</c>…), empty when none was asked.</summary>
    public required string Verdict { get; set; }

    /// <summary>The verdict's reasons and evidence, JSON.</summary>
    public required string Evidence { get; set; }

    /// <summary>What became of it, in a sentence (the record confirmed, the update refused…).</summary>
    public required string Outcome { get; set; }
}

/// <summary>Which version of each of our own policies is served now.</summary>
public sealed class HostedPolicyRow
{
    /// <summary>The policy domain.</summary>
    public required string Domain { get; set; }

    /// <summary>The version served.</summary>
    public int Version { get; set; }
}
