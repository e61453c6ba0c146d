namespace MtaStsReporting.Daemon.Collector;

/// <summary>The collector's log lines.</summary>
internal static partial class CollectorLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Collector reading libtlsrpt datagrams at {Path} (mode {Mode}, group {Group}); receive buffer {ReceiveBuffer} bytes, net.unix.max_dgram_qlen {QueueLength}")]
    public static partial void Listening(ILogger logger, string path, string mode, string group, int receiveBuffer, string queueLength);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "net.unix.max_dgram_qlen is {QueueLength}: Linux queues only that many datagrams for the collector, and MTAs drop what does not fit. Raise it (sysctl -w net.unix.max_dgram_qlen=65536, and in /etc/sysctl.d/) and restart the daemon")]
    public static partial void ShortQueue(ILogger logger, int queueLength);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "Datagram refused ({Reason}): {Problem} ({HeldBack} more refusals or notes not logged since the last line){Sample}")]
    public static partial void Refused(ILogger logger, string reason, string problem, int heldBack, string sample);

    [LoggerMessage(EventId = 303, Level = LogLevel.Information, Message = "Datagram counted with a note ({Notes}) ({HeldBack} more refusals or notes not logged since the last line)")]
    public static partial void Noted(ILogger logger, string notes, int heldBack);

    [LoggerMessage(EventId = 304, Level = LogLevel.Error, Message = "Collector commit failed: {Reason}; {Sessions} sessions are kept in memory and go with the next commit")]
    public static partial void CommitFailed(ILogger logger, string reason, long sessions);

    [LoggerMessage(EventId = 305, Level = LogLevel.Warning, Message = "{Dropped} datagrams dropped: reading fell behind by more than Collector:MaxQueuedMiB")]
    public static partial void Dropped(ILogger logger, long dropped);

    [LoggerMessage(EventId = 306, Level = LogLevel.Information, Message = "Collector stopped: the socket is removed and drained, and every datagram read is committed ({Sessions} sessions since start)")]
    public static partial void Stopped(ILogger logger, long sessions);

    [LoggerMessage(EventId = 307, Level = LogLevel.Error, Message = "Collector could not commit at stop: {Reason}; {Sessions} sessions read since the last commit are lost")]
    public static partial void LostAtStop(ILogger logger, string reason, long sessions);
}
