namespace MtaStsReporting.Persistence.Schema;

// Inbound RFC 8460 reports: what other organisations tell us about our domains. Unlike relay
// outcomes these are few (one per reporter, domain and day) and are kept whole, with their
// original bytes, so that a later parser can read them again.

/// <summary>A stored report. (organization_name, report_id, start, end) identifies it: a second copy is a duplicate.</summary>
public sealed class TlsReportRow
{
    /// <summary>Surrogate key.</summary>
    public long Id { get; set; }

    /// <summary>organization-name.</summary>
    public required string OrganizationName { get; set; }

    /// <summary>report-id.</summary>
    public required string ReportId { get; set; }

    /// <summary>date-range start-datetime (UTC).</summary>
    public DateTimeOffset StartDatetime { get; set; }

    /// <summary>date-range end-datetime (UTC).</summary>
    public DateTimeOffset EndDatetime { get; set; }

    /// <summary>contact-info.</summary>
    public string? ContactInfo { get; set; }

    /// <summary>Oddities found while reading, as a JSON array of {code, detail}.</summary>
    public required string Flags { get; set; }

    /// <summary>Sum of the policies' success counts.</summary>
    public long SuccessCount { get; set; }

    /// <summary>Sum of the policies' failure counts.</summary>
    public long FailureCount { get; set; }

    /// <summary><c>imap</c>, <c>file</c>, <c>https</c> or <c>grpc</c>.</summary>
    public required string SourceKind { get; set; }

    /// <summary>Mailbox and folder, file path, or remote address.</summary>
    public required string SourceName { get; set; }

    /// <summary>Message-ID of the mail that carried it.</summary>
    public string? MessageId { get; set; }

    /// <summary><c>pass</c>, <c>fail</c>, <c>temperror</c> or <c>none</c> (not a mail, or not signed).</summary>
    public required string DkimResult { get; set; }

    /// <summary>The d= of the signature the verdict is about.</summary>
    public string? DkimDomain { get; set; }

    /// <summary>When the daemon stored it.</summary>
    public DateTimeOffset ReceivedAt { get; set; }

    /// <summary>Media type of <see cref="Original"/> before compression: <c>message/rfc822</c>, <c>application/json</c>, <c>application/gzip</c>, <c>application/zip</c>.</summary>
    public required string OriginalMediaType { get; set; }

    /// <summary>The bytes as received (the whole mail for mail), gzip-compressed.</summary>
    public required byte[] Original { get; set; }

    /// <summary>Its policies.</summary>
    public List<TlsReportPolicyRow> Policies { get; set; } = [];
}

/// <summary>One policies[] entry of a report.</summary>
public sealed class TlsReportPolicyRow
{
    /// <summary>Surrogate key.</summary>
    public long Id { get; set; }

    /// <summary>The report.</summary>
    public long TlsReportId { get; set; }

    /// <summary>Position in policies[].</summary>
    public int Position { get; set; }

    /// <summary>policy-type as sent (lower-cased when it differed only in case).</summary>
    public required string PolicyType { get; set; }

    /// <summary>policy-string as a JSON array.</summary>
    public required string PolicyStrings { get; set; }

    /// <summary>Normalised policy-domain (as sent when it is not a valid name; null when absent).</summary>
    public string? PolicyDomain { get; set; }

    /// <summary>mx-host as a JSON array.</summary>
    public required string MxHosts { get; set; }

    /// <summary>total-successful-session-count.</summary>
    public long SuccessCount { get; set; }

    /// <summary>total-failure-session-count.</summary>
    public long FailureCount { get; set; }

    /// <summary>Its failure details.</summary>
    public List<TlsReportFailureRow> FailureDetails { get; set; } = [];
}

/// <summary>One failure-details entry.</summary>
public sealed class TlsReportFailureRow
{
    /// <summary>Surrogate key.</summary>
    public long Id { get; set; }

    /// <summary>The policy entry.</summary>
    public long TlsReportPolicyId { get; set; }

    /// <summary>result-type as sent.</summary>
    public required string ResultType { get; set; }

    /// <summary>sending-mta-ip.</summary>
    public string? SendingMtaIp { get; set; }

    /// <summary>receiving-mx-hostname.</summary>
    public string? ReceivingMxHostname { get; set; }

    /// <summary>receiving-mx-helo.</summary>
    public string? ReceivingMxHelo { get; set; }

    /// <summary>receiving-ip.</summary>
    public string? ReceivingIp { get; set; }

    /// <summary>failed-session-count.</summary>
    public long FailedSessionCount { get; set; }

    /// <summary>additional-information.</summary>
    public string? AdditionalInformation { get; set; }

    /// <summary>failure-reason-code.</summary>
    public string? FailureReasonCode { get; set; }
}

/// <summary>Input that was refused: not a report, or a report that could not be read.</summary>
public sealed class ReportRejectionRow
{
    /// <summary>Surrogate key.</summary>
    public long Id { get; set; }

    /// <summary><c>imap</c>, <c>file</c>, <c>https</c> or <c>grpc</c>.</summary>
    public required string SourceKind { get; set; }

    /// <summary>Mailbox and folder, file path, or remote address.</summary>
    public required string SourceName { get; set; }

    /// <summary>Message-ID, for mail.</summary>
    public string? MessageId { get; set; }

    /// <summary><c>invalid</c> or <c>not-a-report</c>.</summary>
    public required string Status { get; set; }

    /// <summary>Why.</summary>
    public required string Reason { get; set; }

    /// <summary>When.</summary>
    public DateTimeOffset RejectedAt { get; set; }
}
