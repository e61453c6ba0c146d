namespace MtaStsReporting.Domain.TlsRpt.Outbound;

/// <summary>
/// One report we owe a recipient domain for one UTC day (RFC 8460 §4): its JSON, exactly as
/// sent, and the names it travels under.
/// </summary>
/// <param name="ReportId">The <c>report-id</c>: the same whenever this day, domain and set of destinations is built again.</param>
/// <param name="Day">The UTC day covered.</param>
/// <param name="PolicyDomain">The recipient policy domain reported on.</param>
/// <param name="Destinations">The <c>rua</c> URIs it goes to, in the record's order.</param>
/// <param name="Json">The report, UTF-8 JSON.</param>
/// <param name="Sessions">Successful and failed sessions it counts.</param>
/// <param name="Failures">Failed sessions it counts.</param>
public sealed record OutboundReport(
    string ReportId,
    DateOnly Day,
    string PolicyDomain,
    IReadOnlyList<Uri> Destinations,
    byte[] Json,
    long Sessions,
    long Failures)
{
    /// <summary>First second of the day, UTC.</summary>
    public DateTimeOffset Start => new(Day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    /// <summary>Last second of the day, UTC, as <c>end-datetime</c> says it.</summary>
    public DateTimeOffset End => Start.AddDays(1).AddSeconds(-1);

    /// <summary>
    /// §5.3 file name of the gzip report:
    /// <c>submitter!policy-domain!begin-timestamp!end-timestamp!unique-id.json.gz</c>, the
    /// timestamps in seconds since the epoch. The unique id is left out: <c>!</c> may not appear
    /// in it, and the day already makes the name unique per domain and submitter.
    /// </summary>
    public string FileName(ReportSubmitter submitter) =>
        $"{submitter.Domain}!{PolicyDomain}!{Start.ToUnixTimeSeconds()}!{End.ToUnixTimeSeconds()}.json.gz";

    /// <summary>§5.3 subject: <c>Report Domain: … Submitter: … Report-ID: &lt;…&gt;</c>.</summary>
    public string Subject(ReportSubmitter submitter) =>
        $"Report Domain: {PolicyDomain} Submitter: {submitter.Domain} Report-ID: <{ReportId}>";
}
