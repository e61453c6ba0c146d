using System.Collections.Concurrent;

namespace MtaStsReporting.Daemon.Relay;

/// <summary>
/// A thread-safe memo with a hard size cap: when full it starts over. Crude next to an LRU,
/// but the working set it serves (domains and policies relays report) is small and stable,
/// so a rare reset costs a few re-validations and never memory.
/// </summary>
internal sealed class BoundedCache<TKey, TValue>(int capacity)
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, TValue> _entries = new();

    public bool TryGet(TKey key, out TValue value) => _entries.TryGetValue(key, out value!);

    public void Add(TKey key, TValue value)
    {
        if (_entries.Count >= capacity)
        {
            _entries.Clear();
        }

        _entries.TryAdd(key, value);
    }
}
