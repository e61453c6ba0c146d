using System.Diagnostics.Metrics;

namespace MtaStsReporting.Daemon.Observability;

/// <summary>
/// The daemon's own metrics (OpenTelemetry, meter <c>MtaStsReporting</c>), exported for
/// Prometheus at <c>/metrics</c> on the HTTP API listener. Call latency comes from the ASP.NET
/// Core instrumentation (<c>http_server_request_duration_seconds</c>, per gRPC method).
/// </summary>
public sealed class DaemonMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "MtaStsReporting";

    private readonly Meter _meter;
    private readonly Counter<long> _sessions;
    private readonly Counter<long> _batches;
    private readonly Histogram<long> _groupSize;
    private readonly Histogram<double> _groupDuration;
    private readonly Counter<long> _groupFailures;
    private readonly Counter<long> _reports;
    private readonly Counter<long> _mailboxErrors;

    /// <summary>Creates the instruments on a meter from the factory.</summary>
    public DaemonMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _sessions = _meter.CreateCounter<long>("mtasts.relay.sessions", description: "Relay session outcomes committed (sum of counts).");
        _batches = _meter.CreateCounter<long>("mtasts.relay.batches", description: "Relay batches by result: committed, duplicate, rejected.");
        _groupSize = _meter.CreateHistogram<long>("mtasts.group_commit.batches", description: "Units of work (relay batches, report groups, key changes, retention steps, leases) per group commit.");
        _groupDuration = _meter.CreateHistogram<double>("mtasts.group_commit.duration", unit: "s", description: "Time of a group commit, fsync included.");
        _groupFailures = _meter.CreateCounter<long>("mtasts.group_commit.failures", description: "Store transactions that failed (nothing of them was stored; the units may be retried alone).");
        _reports = _meter.CreateCounter<long>("mtasts.reports", description: "Inbound reports by status and source.");
        _mailboxErrors = _meter.CreateCounter<long>("mtasts.mailbox.errors", description: "IMAP connection or session errors.");
    }

    /// <summary>A relay batch ended: committed, duplicate or rejected.</summary>
    public void RelayBatch(string result, long sessions)
    {
        _batches.Add(1, new KeyValuePair<string, object?>("result", result));
        if (result == "committed")
        {
            _sessions.Add(sessions);
        }
    }

    /// <summary>A group commit went through.</summary>
    public void GroupCommitted(int units, TimeSpan elapsed)
    {
        _groupSize.Record(units);
        _groupDuration.Record(elapsed.TotalSeconds);
    }

    /// <summary>A group commit failed.</summary>
    public void GroupFailed() => _groupFailures.Add(1);

    /// <summary>An inbound input ended in a status.</summary>
    public void Report(string status, string source) =>
        _reports.Add(1, new KeyValuePair<string, object?>("status", status), new KeyValuePair<string, object?>("source", source));

    /// <summary>A mailbox lost its connection or could not open one.</summary>
    public void MailboxError(string mailbox) => _mailboxErrors.Add(1, new KeyValuePair<string, object?>("mailbox", mailbox));

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}
