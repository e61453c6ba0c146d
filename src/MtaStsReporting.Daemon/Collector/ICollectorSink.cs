using MtaStsReporting.Domain.RelayOutcomes;

namespace MtaStsReporting.Daemon.Collector;

/// <summary>
/// Where the collector's counted datagrams go: the store, in the daemon
/// (<see cref="StoreCollectorSink"/>), or the spool on disk, in the forwarder.
/// </summary>
public interface ICollectorSink
{
    /// <summary>Keeps a delta durably. Returns null once kept, or the delta itself when nothing of it was kept (it then goes with the next one).</summary>
    Task<DailyOutcomeDelta?> KeepAsync(DailyOutcomeDelta delta);
}
