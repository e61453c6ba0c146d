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
    private readonly Counter<long> _datagrams;
    private readonly Counter<long> _datagramNotes;
    private readonly Counter<long> _collectorSessions;
    private readonly Counter<long> _collectorDropped;
    private readonly Counter<long> _forwardBatches;
    private readonly Counter<long> _forwardSessions;
    private readonly Counter<long> _outboundAttempts;

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
        _datagrams = _meter.CreateCounter<long>("mtasts.collector.datagrams", description: "libtlsrpt datagrams read, by result (counted, refused) and reason.");
        _datagramNotes = _meter.CreateCounter<long>("mtasts.collector.notes", description: "Counted datagrams with something odd, by note (count-mismatch, not-utf8, internal-failure-code, unknown-failure-code).");
        _collectorSessions = _meter.CreateCounter<long>("mtasts.collector.sessions", description: "Sessions from libtlsrpt datagrams committed to the store.");
        _collectorDropped = _meter.CreateCounter<long>("mtasts.collector.dropped", description: "Datagrams received but dropped because reading fell behind (Collector:MaxQueuedMiB).");
        _forwardBatches = _meter.CreateCounter<long>("mtasts.forward.batches", description: "Forwarder send attempts by result: sent, duplicate, retry, rejected.");
        _forwardSessions = _meter.CreateCounter<long>("mtasts.forward.sessions", description: "Sessions the central daemon committed from this forwarder.");
        _outboundAttempts = _meter.CreateCounter<long>("mtasts.outbound.attempts", description: "Outbound report delivery attempts by scheme (mailto, https) and outcome (delivered, temporary, permanent).");
        _mailboxErrors = _meter.CreateCounter<long>("mtasts.mailbox.errors", description: "Mailbox session errors (IMAP or Microsoft Graph), by mailbox.");
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

    /// <summary>A slab of datagrams was read: how many were counted, refused by reason, and noted by note.</summary>
    public void CollectorDatagrams(long counted, ReadOnlySpan<long> refusedByReason, ReadOnlySpan<long> notes)
    {
        if (counted > 0)
        {
            _datagrams.Add(counted, new KeyValuePair<string, object?>("result", "counted"), new KeyValuePair<string, object?>("reason", "ok"));
        }

        for (var i = 0; i < refusedByReason.Length; i++)
        {
            if (refusedByReason[i] > 0)
            {
                _datagrams.Add(refusedByReason[i], new KeyValuePair<string, object?>("result", "refused"),
                    new KeyValuePair<string, object?>("reason", Domain.RelayOutcomes.Datagrams.DatagramVerdictNames.Name((Domain.RelayOutcomes.Datagrams.DatagramRefusal)i)));
            }
        }

        for (var i = 0; i < notes.Length; i++)
        {
            if (notes[i] > 0)
            {
                _datagramNotes.Add(notes[i], new KeyValuePair<string, object?>("note", Domain.RelayOutcomes.Datagrams.DatagramVerdictNames.Name(Domain.RelayOutcomes.Datagrams.DatagramVerdictNames.EachNote[i])));
            }
        }
    }

    /// <summary>Sessions from datagrams were committed.</summary>
    public void CollectorCommitted(long sessions) => _collectorSessions.Add(sessions);

    /// <summary>Datagrams were dropped because reading fell behind.</summary>
    public void CollectorDropped(long datagrams) => _collectorDropped.Add(datagrams);

    /// <summary>A forwarder send ended: sent, duplicate, retry or rejected.</summary>
    public void ForwardBatch(string result, long sessions)
    {
        _forwardBatches.Add(1, new KeyValuePair<string, object?>("result", result));
        if (sessions > 0)
        {
            _forwardSessions.Add(sessions);
        }
    }

    /// <summary>Reports the forwarder's spool as gauges.</summary>
    public void ObserveSpool(Func<int> batches, Func<long> bytes)
    {
        _meter.CreateObservableGauge("mtasts.forward.spool.batches", batches, description: "Batches waiting in the forwarder's spool.");
        _meter.CreateObservableGauge("mtasts.forward.spool.bytes", bytes, unit: "By", description: "Bytes waiting in the forwarder's spool.");
    }

    /// <summary>An outbound report delivery attempt ended.</summary>
    public void OutboundAttempt(string scheme, string outcome) =>
        _outboundAttempts.Add(1, new KeyValuePair<string, object?>("scheme", scheme), new KeyValuePair<string, object?>("outcome", outcome));

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
