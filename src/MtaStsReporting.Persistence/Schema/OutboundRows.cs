namespace MtaStsReporting.Persistence.Schema;

/// <summary>
/// What became of one recipient policy domain's day on the sending side: a report was built, or
/// why none was (no TLSRPT record, domain excluded). Its presence is what makes a day built once.
/// </summary>
public sealed class OutboundDayRow
{
    /// <summary>UTC day.</summary>
    public DateOnly Day { get; set; }

    /// <summary>Normalised recipient policy domain.</summary>
    public required string PolicyDomain { get; set; }

    /// <summary><c>built</c>, <c>no-record</c> or <c>excluded</c>.</summary>
    public required string Outcome { get; set; }

    /// <summary>Why there is no report, or where the destinations came from.</summary>
    public string? Detail { get; set; }

    /// <summary>The report built, for <c>built</c>.</summary>
    public string? ReportId { get; set; }

    /// <summary>When it was decided.</summary>
    public DateTimeOffset DecidedAt { get; set; }
}

/// <summary>A report we built: its JSON exactly as sent, and where it goes.</summary>
public sealed class OutboundReportRow
{
    /// <summary>The report-id.</summary>
    public required string ReportId { get; set; }

    /// <summary>UTC day covered.</summary>
    public DateOnly Day { get; set; }

    /// <summary>Recipient policy domain.</summary>
    public required string PolicyDomain { get; set; }

    /// <summary>The rua URIs, one per line, in the record's order.</summary>
    public required string Destinations { get; set; }

    /// <summary>The report JSON.</summary>
    public required string Json { get; set; }

    /// <summary>Sessions counted.</summary>
    public long Sessions { get; set; }

    /// <summary>Failed sessions counted.</summary>
    public long Failures { get; set; }

    /// <summary>When it was built.</summary>
    public DateTimeOffset BuiltAt { get; set; }
}

/// <summary>The delivery of one report to one rua destination: its state and the next try.</summary>
public sealed class OutboundDeliveryRow
{
    /// <summary>The report.</summary>
    public required string ReportId { get; set; }

    /// <summary>The rua URI.</summary>
    public required string Destination { get; set; }

    /// <summary>UTC day of the report (listing by day).</summary>
    public DateOnly Day { get; set; }

    /// <summary>Recipient policy domain (listing by domain).</summary>
    public required string PolicyDomain { get; set; }

    /// <summary>pending, sending, delivered, failed, given-up, interrupted.</summary>
    public required string State { get; set; }

    /// <summary>Attempts made.</summary>
    public int Attempts { get; set; }

    /// <summary>The first planned attempt (retries are given up a set time after it).</summary>
    public DateTimeOffset FirstAttemptAt { get; set; }

    /// <summary>When to try next, for pending.</summary>
    public DateTimeOffset NextAttemptAt { get; set; }

    /// <summary>The last answer, or why it ended.</summary>
    public string? LastAnswer { get; set; }

    /// <summary>The instance sending it, while sending.</summary>
    public string? Holder { get; set; }

    /// <summary>Last change.</summary>
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>One attempt to deliver a report to a destination, written before it starts and completed after.</summary>
public sealed class OutboundAttemptRow
{
    /// <summary>The report.</summary>
    public required string ReportId { get; set; }

    /// <summary>The rua URI.</summary>
    public required string Destination { get; set; }

    /// <summary>1 for the first attempt.</summary>
    public int Attempt { get; set; }

    /// <summary>Where it actually went (the test address while one is set).</summary>
    public required string SentTo { get; set; }

    /// <summary>When it started.</summary>
    public DateTimeOffset StartedAt { get; set; }

    /// <summary>When it ended; null while it runs or when the daemon died during it.</summary>
    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>sending, delivered, temporary, permanent, interrupted.</summary>
    public required string Outcome { get; set; }

    /// <summary>The server's answer, or why there was none.</summary>
    public string? Answer { get; set; }
}

/// <summary>How a rua destination has fared across reports: failures in a row, and suppression.</summary>
public sealed class OutboundDestinationRow
{
    /// <summary>The rua URI.</summary>
    public required string Destination { get; set; }

    /// <summary>Reports in a row that failed (given up or refused).</summary>
    public int FailedReportsInRow { get; set; }

    /// <summary>No attempts until then.</summary>
    public DateTimeOffset? SuppressedUntil { get; set; }

    /// <summary>Last report that failed.</summary>
    public DateTimeOffset? LastFailureAt { get; set; }
}

/// <summary>An operator switch of the sending side (paused, test address, excluded domains), shared by every instance.</summary>
public sealed class OutboundSettingRow
{
    /// <summary>The switch.</summary>
    public required string Name { get; set; }

    /// <summary>Its value.</summary>
    public required string Value { get; set; }
}
