namespace MtaStsReporting.Domain.TlsRpt.Outbound;

/// <summary>
/// When a report goes out and how it is retried, as the reference sender (tlsrpt-reportd) does
/// it: not at midnight all at once (RFC 8460 §4.1 asks for reports "spread out" so that receivers
/// are not flooded), retried with a growing delay after temporary failures, given up after a while,
/// and a destination that keeps failing is left alone for a time.
/// </summary>
/// <param name="BuildDelay">Time after the day ends before its reports are built, so that late relay outcomes are in.</param>
/// <param name="SpreadWindow">First attempts are spread over this much time after the build delay.</param>
/// <param name="FirstRetry">Delay after the first temporary failure; doubled after each further one.</param>
/// <param name="MaxRetry">The longest delay between two attempts.</param>
/// <param name="GiveUpAfter">Time after the first planned attempt after which a report is given up for a destination.</param>
/// <param name="SuppressAfter">Reports in a row a destination failed before it is suppressed.</param>
/// <param name="SuppressFor">How long a suppressed destination gets no attempts (its reports are given up).</param>
public sealed record DeliverySchedule(
    TimeSpan BuildDelay,
    TimeSpan SpreadWindow,
    TimeSpan FirstRetry,
    TimeSpan MaxRetry,
    TimeSpan GiveUpAfter,
    int SuppressAfter,
    TimeSpan SuppressFor)
{
    /// <summary>The defaults: built 15 minutes after midnight, spread over 4 hours, retried from 5 minutes up to 4 hours apart, given up after 2 days; suppressed for 7 days after 3 failed reports in a row.</summary>
    public static DeliverySchedule Default { get; } = new(
        TimeSpan.FromMinutes(15), TimeSpan.FromHours(4), TimeSpan.FromMinutes(5), TimeSpan.FromHours(4), TimeSpan.FromDays(2), 3, TimeSpan.FromDays(7));

    /// <summary>When the reports of <paramref name="day"/> may be built.</summary>
    public DateTimeOffset BuildAt(DateOnly day) => new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddDays(1) + BuildDelay;

    /// <summary>
    /// The first attempt of a report: after the build time, at a point of the spread window that
    /// depends only on the report id, so that it is the same on every instance and after a restart,
    /// and the reports of one day are spread evenly.
    /// </summary>
    public DateTimeOffset FirstAttempt(DateOnly day, string reportId)
    {
        var hash = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(reportId)));
        var offset = SpreadWindow <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromTicks((long)(hash % (ulong)SpreadWindow.Ticks));
        return BuildAt(day) + offset;
    }

    /// <summary>The delay after the <paramref name="failures"/>th temporary failure in a row (1 = the first).</summary>
    public TimeSpan RetryDelay(int failures)
    {
        var delay = FirstRetry;
        for (var i = 1; i < failures && delay < MaxRetry; i++)
        {
            delay += delay;
        }

        return delay < MaxRetry ? delay : MaxRetry;
    }

    /// <summary>
    /// After a temporary failure at <paramref name="now"/>: when to try again, or null to give up
    /// (the next try would fall after <paramref name="firstAttempt"/> + <see cref="GiveUpAfter"/>).
    /// </summary>
    public DateTimeOffset? NextAttempt(DateTimeOffset firstAttempt, DateTimeOffset now, int failures)
    {
        var next = now + RetryDelay(failures);
        return next <= firstAttempt + GiveUpAfter ? next : null;
    }

    /// <summary>
    /// Whether a destination whose last <paramref name="failedReportsInRow"/> reports all failed
    /// (given up or refused) is suppressed now, and until when.
    /// </summary>
    public DateTimeOffset? SuppressedUntil(int failedReportsInRow, DateTimeOffset lastFailure) =>
        failedReportsInRow >= SuppressAfter ? lastFailure + SuppressFor : null;

    /// <summary>
    /// What an attempt's answer means for the delivery: delivered; refused for good (a permanent
    /// answer: no more tries for this report); tried again later; or given up once the next try
    /// would fall after the give-up time. Refused and given up end the delivery undelivered, and count as a failed report of the destination (suppression).
    /// </summary>
    /// <param name="answer">The attempt's answer.</param>
    /// <param name="firstAttempt">The delivery's first planned attempt.</param>
    /// <param name="now">When the attempt ended.</param>
    /// <param name="attempt">The attempt's number (1 for the first).</param>
    public DeliveryStep After(DeliveryAnswer answer, DateTimeOffset firstAttempt, DateTimeOffset now, int attempt) => answer.Outcome switch
    {
        DeliveryOutcome.Delivered => new DeliveryStep(DeliveryStates.Delivered, null, false),
        DeliveryOutcome.Permanent => new DeliveryStep(DeliveryStates.Failed, null, true),
        _ => NextAttempt(firstAttempt, now, attempt) is { } next
            ? new DeliveryStep(DeliveryStates.Pending, next, false)
            : new DeliveryStep(DeliveryStates.GivenUp, null, true),
    };
}

/// <summary>Where a delivery goes after an attempt.</summary>
/// <param name="State">One of <see cref="DeliveryStates"/>.</param>
/// <param name="NextAttempt">For pending: when to try again.</param>
/// <param name="DestinationFailed">The report ends undelivered for this destination.</param>
public sealed record DeliveryStep(string State, DateTimeOffset? NextAttempt, bool DestinationFailed);
