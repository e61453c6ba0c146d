using System.Diagnostics;
using MtaStsReporting.Domain.RelayOutcomes;
using MtaStsReporting.Persistence;
using MtaStsReporting.Persistence.RelayOutcomes;

namespace MtaStsReporting.Daemon.Collector;

/// <summary>The daemon's sink: each delta is one relay batch, with an id of its own, through the store's group commit.</summary>
public sealed class StoreCollectorSink(RelayOutcomeWriter writer, ILogger<StoreCollectorSink> logger) : ICollectorSink
{
    private readonly string _instance = $"{Environment.MachineName}:{Environment.ProcessId}:{Stopwatch.GetTimestamp():x}";
    private long _sequence;

    /// <inheritdoc />
    public async Task<DailyOutcomeDelta?> KeepAsync(DailyOutcomeDelta delta)
    {
        var id = $"collector:{_instance}:{Interlocked.Increment(ref _sequence)}";
        try
        {
            await writer.CommitAsync(new PendingBatch(id, delta), CancellationToken.None);
            return null;
        }
        catch (StoreUnavailableException ex)
        {
            CollectorLog.CommitFailed(logger, ex.Message, delta.SessionCount);
            return delta;
        }
    }
}
