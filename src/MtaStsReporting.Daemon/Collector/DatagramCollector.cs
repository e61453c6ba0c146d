using System.Diagnostics;
using Microsoft.Extensions.Options;
using MtaStsReporting.Daemon.Observability;
using MtaStsReporting.Daemon.Security;
using MtaStsReporting.Domain.RelayOutcomes;
using MtaStsReporting.Domain.RelayOutcomes.Datagrams;

namespace MtaStsReporting.Daemon.Collector;

/// <summary>
/// The libtlsrpt collector: Postfix and other MTAs send one datagram per delivery attempt to
/// <see cref="CollectorOptions.Socket"/>, and the daemon counts them into the same daily
/// aggregates as the gRPC relay path. Three stages, so that the socket is always read:
/// <see cref="DatagramReceiver"/> copies datagrams into slabs on its own thread; this service
/// reads and folds them into a delta in memory; and at most every
/// <see cref="CollectorOptions.CommitInterval"/> the delta is kept durably by the
/// <see cref="ICollectorSink"/> (in the daemon a relay batch through the store's group commit, in
/// the forwarder batches in the spool), while folding goes on into the next one.
/// </summary>
/// <remarks>
/// A datagram cannot be acknowledged: a crash loses what arrived since the last commit, at most
/// one commit interval (and a commit in flight). A clean stop (SIGTERM) removes the socket file,
/// reads what the socket still holds, and commits everything before the store closes.
/// </remarks>
public sealed class DatagramCollector(IOptions<CollectorOptions> options, ICollectorSink sink, TimeProvider time, DaemonMetrics metrics, ILogger<DatagramCollector> logger)
    : IHostedService, IDisposable
{
    private readonly CollectorOptions _options = options.Value;
    private readonly LogThrottle _logThrottle = new(options.Value.LogLinesPerMinute, time);
    private readonly RefusedSamples? _samples = options.Value.SampleFolder is { Length: > 0 } folder ? new RefusedSamples(folder, options.Value.MaxSamples, time) : null;
    private readonly long[] _refused = new long[Enum.GetValues<DatagramRefusal>().Length];
    private CollectorSocket? _socket;
    private DatagramReceiver? _receiver;
    private Task? _folding;
    private long _committedSessions;
    private long _reportedDropped;
    private int _stopped;

    /// <summary>
    /// Binds the socket when the collector is on. Called before the host starts (as the store
    /// is opened), so that a path that cannot be bound is one line, not the host's stack trace.
    /// </summary>
    /// <exception cref="CollectorSocketException">The path is in use or cannot be a socket.</exception>
    public void OpenSocket()
    {
        if (!_options.Enabled || _socket is not null)
        {
            return;
        }

        _socket = CollectorSocket.Bind(_options);
        var queueLength = CollectorSocket.MaxDatagramQueueLength();
        CollectorLog.Listening(logger, _socket.Path, CollectorOptions.Describe(_options.FileMode), _options.Group ?? "the daemon's",
            _socket.ReceiveBufferBytes, queueLength?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown");
        if (queueLength < 1024)
        {
            CollectorLog.ShortQueue(logger, queueLength.Value);
        }
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        OpenSocket();
        if (_socket is null)
        {
            return Task.CompletedTask;
        }

        _receiver = new DatagramReceiver(_socket.Socket, _options.MaxDatagramBytes, _options.MaxQueuedMiB);
        _receiver.Start();
        _folding = Task.Run(FoldAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // The host stops its services, and the daemon's dispose stops it again: once is enough.
        if (_socket is null || Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        // New datagrams find no socket (the MTA drops them, as it would with no collector);
        // the ones already queued are read, folded and committed.
        _socket.RemoveFile();
        await Task.Run(_receiver!.Stop, CancellationToken.None);
        await _folding!;
        _socket.Dispose();
        CollectorLog.Stopped(logger, Interlocked.Read(ref _committedSessions));
    }

    /// <summary>Closes a socket that was opened but never started (the daemon failed to start).</summary>
    public void Dispose()
    {
        if (_receiver is null)
        {
            _socket?.Dispose();
        }
    }

    private async Task FoldAsync()
    {
        var reader = new LibTlsRptDatagramReader();
        var pending = new DailyOutcomeDelta();
        Task<DailyOutcomeDelta?>? inFlight = null;
        var slabs = _receiver!.Slabs;
        var nextCommit = Stopwatch.GetTimestamp() + ToTicks(_options.CommitInterval);
        while (true)
        {
            var open = true;
            var wait = nextCommit - Stopwatch.GetTimestamp();
            if (wait > 0 && !slabs.TryPeek(out _))
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(wait / (double)Stopwatch.Frequency));
                try
                {
                    open = await slabs.WaitToReadAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    // Time to commit.
                }
            }

            while (slabs.TryRead(out var slab))
            {
                Fold(reader, slab, pending);
                _receiver.Return(slab);
            }

            if (!open || slabs.Completion.IsCompleted)
            {
                break;
            }

            if (Stopwatch.GetTimestamp() < nextCommit)
            {
                continue;
            }

            nextCommit = Stopwatch.GetTimestamp() + ToTicks(_options.CommitInterval);
            ReportDropped();
            if (inFlight is { IsCompleted: true })
            {
                if (await inFlight is { } failed)
                {
                    pending.Merge(failed);
                }

                inFlight = null;
            }

            // One commit at a time: while one is in flight, datagrams keep folding into the next.
            if (inFlight is null && !pending.IsEmpty)
            {
                inFlight = CommitAsync(pending);
                pending = new DailyOutcomeDelta();
            }
        }

        ReportDropped();
        if (inFlight is not null && await inFlight is { } unstored)
        {
            pending.Merge(unstored);
        }

        if (!pending.IsEmpty && await CommitAsync(pending) is { } lost)
        {
            CollectorLog.LostAtStop(logger, "the store refused the last commit", lost.SessionCount);
        }
    }

    /// <summary>Keeps a delta; returns it when nothing of it was kept, so that it goes with the next commit.</summary>
    private async Task<DailyOutcomeDelta?> CommitAsync(DailyOutcomeDelta delta)
    {
        var unkept = await sink.KeepAsync(delta);
        if (unkept is null)
        {
            Interlocked.Add(ref _committedSessions, delta.SessionCount);
            metrics.CollectorCommitted(delta.SessionCount);
        }

        return unkept;
    }

    private void Fold(LibTlsRptDatagramReader reader, DatagramSlab slab, DailyOutcomeDelta into)
    {
        // The day the datagram was received (SPEC: the reference collector counts it so): a slab
        // spans at most 20 ms, so it is read once per slab.
        var day = DailyOutcomeDelta.UtcDay(time.GetUtcNow());
        long counted = 0;
        Span<long> notes = stackalloc long[DatagramVerdictNames.EachNote.Count];
        Array.Clear(_refused);
        foreach (var datagram in slab.Datagrams())
        {
            DatagramReadResult result;
            try
            {
                result = reader.Read(datagram.Span);
            }
            catch (Exception ex)
            {
                // The reader refuses bad input as a value; should it ever throw, that datagram is
                // refused and the loop goes on: input never stops the collector.
                result = DatagramReadResult.Refused(DatagramRefusal.NotJson, "unreadable: " + ex.Message);
            }

            if (result.Datagram is { } read)
            {
                read.FoldInto(into, day);
                counted++;
                if (result.Notes != DatagramNotes.None)
                {
                    Note(result.Notes, notes);
                }
            }
            else
            {
                Refuse(result.Refusal!.Value, result.Problem!, datagram.Span);
            }
        }

        for (var i = 0; i < slab.TooLarge; i++)
        {
            Refuse(DatagramRefusal.TooLarge, $"longer than Collector:MaxDatagramBytes ({_options.MaxDatagramBytes} bytes)", []);
        }

        metrics.CollectorDatagrams(counted, _refused, notes);
    }

    private void Note(DatagramNotes found, Span<long> counts)
    {
        for (var i = 0; i < DatagramVerdictNames.EachNote.Count; i++)
        {
            if (found.HasFlag(DatagramVerdictNames.EachNote[i]))
            {
                counts[i]++;
            }
        }

        if (_logThrottle.TryEnter(out var heldBack))
        {
            CollectorLog.Noted(logger, string.Join(", ", DatagramVerdictNames.EachNote.Where(n => found.HasFlag(n)).Select(n => n.Name())), heldBack);
        }
    }

    private void Refuse(DatagramRefusal refusal, string problem, ReadOnlySpan<byte> datagram)
    {
        _refused[(int)refusal]++;
        var sample = datagram.Length > 0 ? _samples?.Keep(datagram, refusal.Name()) : null;
        if (_logThrottle.TryEnter(out var heldBack))
        {
            CollectorLog.Refused(logger, refusal.Name(), problem, heldBack, sample is null ? string.Empty : $"; kept as {sample}");
        }
    }

    private void ReportDropped()
    {
        var dropped = _receiver!.Dropped;
        if (dropped > _reportedDropped)
        {
            metrics.CollectorDropped(dropped - _reportedDropped);
            CollectorLog.Dropped(logger, dropped - _reportedDropped);
            _reportedDropped = dropped;
        }
    }

    private static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
