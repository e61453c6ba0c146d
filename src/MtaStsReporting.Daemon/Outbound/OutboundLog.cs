namespace MtaStsReporting.Daemon.Outbound;

/// <summary>The sending side's log lines.</summary>
internal static partial class OutboundLog
{
    [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "Outbound reports: this instance ({Holder}) builds and sends them; {Interrupted} attempts left unfinished before are marked interrupted")]
    public static partial void Sending(ILogger logger, string holder, int interrupted);

    [LoggerMessage(EventId = 501, Level = LogLevel.Information, Message = "Outbound reports: another instance builds and sends them; this one waits for its lease")]
    public static partial void Waiting(ILogger logger);

    [LoggerMessage(EventId = 502, Level = LogLevel.Information, Message = "Outbound reports of {Day}: {Built} built, {NoRecord} domains without a TLSRPT record, {Excluded} excluded, {LookupFailed} to try again (DNS)")]
    public static partial void DayBuilt(ILogger logger, string day, int built, int noRecord, int excluded, int lookupFailed);

    [LoggerMessage(EventId = 503, Level = LogLevel.Warning, Message = "Outbound report of {Domain} for {Day} not built yet: {Reason}; tried again on the next pass")]
    public static partial void LookupFailed(ILogger logger, string domain, string day, string reason);

    [LoggerMessage(EventId = 504, Level = LogLevel.Information, Message = "Report {ReportId} to {To}, attempt {Attempt}: {Outcome} ({Answer}); now {State}")]
    public static partial void Attempted(ILogger logger, string reportId, string to, int attempt, string outcome, string answer, string state);

    [LoggerMessage(EventId = 505, Level = LogLevel.Warning, Message = "Outbound reports: the store failed ({Reason}); trying again")]
    public static partial void StoreFailed(ILogger logger, string reason);
}
