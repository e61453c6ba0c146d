namespace MtaStsReporting.Daemon.Storage;

/// <summary>The store's log lines.</summary>
internal static partial class StoreLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Store open: {Provider} at {Location}")]
    public static partial void Opened(ILogger logger, string provider, string location);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Store closed; every accepted write is committed")]
    public static partial void Closed(ILogger logger);

    [LoggerMessage(EventId = 102, Level = LogLevel.Debug, Message = "Group commit of {Units} units ({Sessions} sessions) in {ElapsedMs:0.0} ms")]
    public static partial void GroupCommitted(ILogger logger, int units, long sessions, double elapsedMs);

    [LoggerMessage(EventId = 103, Level = LogLevel.Error, Message = "A store transaction failed; its callers were told and nothing of it was stored")]
    public static partial void CommitFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "This instance ({Holder}) now runs {Lease}")]
    public static partial void LeaseTaken(ILogger logger, string holder, string lease);

    [LoggerMessage(EventId = 105, Level = LogLevel.Warning, Message = "This instance ({Holder}) no longer runs {Lease}; another instance holds it")]
    public static partial void LeaseLost(ILogger logger, string holder, string lease);

    [LoggerMessage(EventId = 106, Level = LogLevel.Warning, Message = "Leases could not be renewed; jobs held here stop until the store answers")]
    public static partial void LeaseRenewalFailed(ILogger logger, Exception exception);
}
