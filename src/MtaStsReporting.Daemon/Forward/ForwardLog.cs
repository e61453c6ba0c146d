namespace MtaStsReporting.Daemon.Forward;

/// <summary>The forwarder's log lines.</summary>
internal static partial class ForwardLog
{
    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Forwarding to {To}; spool {Spool} ({Batches} batches waiting); /metrics and /healthz on {Listen}")]
    public static partial void Started(ILogger logger, string to, string spool, int batches, string listen);

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "The central daemon at {To} cannot take batches: {Reason}; {Batches} batches spooled, next try in {Delay}")]
    public static partial void Unreachable(ILogger logger, string to, string reason, int batches, TimeSpan delay);

    [LoggerMessage(EventId = 402, Level = LogLevel.Information, Message = "The central daemon at {To} takes batches again; {Batches} spooled batches to send")]
    public static partial void Reachable(ILogger logger, string to, int batches);

    [LoggerMessage(EventId = 403, Level = LogLevel.Error, Message = "The central daemon refused batch {BatchId} for good ({Reason}); it is kept in {Folder}/rejected")]
    public static partial void Rejected(ILogger logger, string batchId, string reason, string folder);

    [LoggerMessage(EventId = 404, Level = LogLevel.Warning, Message = "The spool {Folder} is full (Forward:SpoolMaxMiB {MaxMiB}); {Sessions} sessions wait in memory")]
    public static partial void SpoolFull(ILogger logger, string folder, int maxMiB, long sessions);

    [LoggerMessage(EventId = 405, Level = LogLevel.Error, Message = "The spool {Folder} cannot be written: {Reason}; {Sessions} sessions wait in memory")]
    public static partial void SpoolFailed(ILogger logger, string folder, string reason, long sessions);
}
