using Microsoft.Extensions.Options;
using MtaStsReporting.Daemon.Collector;
using MtaStsReporting.Domain.RelayOutcomes;

namespace MtaStsReporting.Daemon.Forward;

/// <summary>The forwarder's sink: each delta becomes batches in the spool, and the sender is woken.</summary>
internal sealed class SpoolCollectorSink(BatchSpool spool, SpoolSender sender, IOptions<ForwardOptions> options, ILogger<SpoolCollectorSink> logger) : ICollectorSink
{
    public Task<DailyOutcomeDelta?> KeepAsync(DailyOutcomeDelta delta)
    {
        var batches = BatchBuilder.Build(delta, options.Value.MaxBatchItems);
        try
        {
            if (!spool.TryAdd(batches))
            {
                // Kept in memory and offered again with the next interval's counts; memory grows
                // with the distinct days, domains and details, not with datagrams.
                ForwardLog.SpoolFull(logger, spool.Folder, options.Value.SpoolMaxMiB, delta.SessionCount);
                return Task.FromResult<DailyOutcomeDelta?>(delta);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ForwardLog.SpoolFailed(logger, spool.Folder, ex.Message, delta.SessionCount);
            return Task.FromResult<DailyOutcomeDelta?>(delta);
        }

        sender.Wake();
        return Task.FromResult<DailyOutcomeDelta?>(null);
    }
}
