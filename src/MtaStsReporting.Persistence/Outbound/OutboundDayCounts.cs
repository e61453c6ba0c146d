using MtaStsReporting.Domain.TlsRpt;

namespace MtaStsReporting.Persistence.Outbound;

/// <summary>
/// What our relays reported about one recipient policy domain on one UTC day: the counts per
/// policy applied (as report policies, details with their counts) and the TLSRPT record a relay
/// saw that day, if one passed it on.
/// </summary>
public sealed record OutboundDayCounts(DateOnly Day, string PolicyDomain, string? TlsRptRecord, IReadOnlyList<TlsReportPolicy> Policies);

/// <summary>A delivery whose next attempt is due.</summary>
public sealed record DueDelivery(string ReportId, string Destination, DateOnly Day, string PolicyDomain, int Attempts, DateTimeOffset FirstAttemptAt, DateTimeOffset NextAttemptAt);

/// <summary>A day and domain for which no report is made, and why (no TLSRPT record, excluded).</summary>
public sealed record OutboundSkip(DateOnly Day, string PolicyDomain, string Outcome, string Detail);

/// <summary>A report to store with the first attempt planned for each destination.</summary>
public sealed record BuiltReport(Domain.TlsRpt.Outbound.OutboundReport Report, string Source, DateTimeOffset FirstAttempt);

/// <summary>How an attempt ended, and what the delivery does next.</summary>
/// <param name="Outcome">delivered, temporary, permanent.</param>
/// <param name="Answer">The server's answer.</param>
/// <param name="State">The delivery's next state.</param>
/// <param name="NextAttemptAt">For pending: when to try again.</param>
/// <param name="DestinationFailed">True when this ends the report for the destination without delivery (counts towards suppression).</param>
public sealed record AttemptResult(string Outcome, string Answer, string State, DateTimeOffset? NextAttemptAt, bool DestinationFailed);
