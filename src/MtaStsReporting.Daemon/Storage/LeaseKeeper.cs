using Microsoft.Extensions.Options;
using MtaStsReporting.Persistence.Store;

namespace MtaStsReporting.Daemon.Storage;

/// <summary>
/// Holds, for this instance, the leases of the jobs that must run on one instance at a time
/// when several share a PostgreSQL database: each mailbox, the retention sweep (and the
/// outbound reports). A job asks with <see cref="HoldAsync"/> and runs while the token it gets
/// is not cancelled; the keeper renews every held lease every third of <c>Storage:LeaseTime</c>,
/// tries the others as often, and releases what it holds at a clean stop so that another
/// instance takes over at once. On SQLite (one instance) every lease is simply taken.
/// </summary>
public sealed class LeaseKeeper(ReportingStore store, IOptions<StoreOptions> options, TimeProvider time, ILogger<LeaseKeeper> logger) : BackgroundService
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Lease> _leases = new(StringComparer.Ordinal);

    /// <summary>This instance's name in the leases table: host, process, and a random part for restarts.</summary>
    public string Holder { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>
    /// Waits until this instance holds <paramref name="name"/>; the token returned is cancelled
    /// when the lease is lost (another instance took it after renewals failed) or the keeper stops.
    /// <paramref name="waiting"/> is called when another instance holds it, before the wait.
    /// </summary>
    public async Task<CancellationToken> HoldAsync(string name, CancellationToken cancellationToken, Action? waiting = null)
    {
        Lease lease;
        lock (_lock)
        {
            if (!_leases.TryGetValue(name, out lease!))
            {
                _leases[name] = lease = new Lease(name);
            }
        }

        await RenewAsync(lease, cancellationToken);
        Task<CancellationToken> held;
        lock (_lock)
        {
            held = lease.Held.Task;
        }

        if (!held.IsCompleted)
        {
            waiting?.Invoke();
        }

        return await held.WaitAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = options.Value.LeaseTime / 3;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(period, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            List<Lease> all;
            lock (_lock)
            {
                all = [.. _leases.Values];
            }

            foreach (var lease in all)
            {
                await RenewAsync(lease, stoppingToken);
            }
        }
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        List<Lease> held;
        lock (_lock)
        {
            held = [.. _leases.Values.Where(l => l.Held.Task.IsCompletedSuccessfully)];
        }

        foreach (var lease in held)
        {
            lease.Lose();
            try
            {
                await store.Leases.ReleaseAsync(lease.Name, Holder, cancellationToken);
            }
            catch (Exception ex) when (ex is Persistence.StoreUnavailableException or ObjectDisposedException or InvalidOperationException)
            {
                // It expires by itself.
            }
        }
    }

    private async Task RenewAsync(Lease lease, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        bool held;
        try
        {
            held = await store.Leases.TryTakeAsync(lease.Name, Holder, now + options.Value.LeaseTime, cancellationToken);
        }
        catch (Exception ex) when (ex is Persistence.StoreUnavailableException or ObjectDisposedException)
        {
            StoreLog.LeaseRenewalFailed(logger, ex);
            // Still ours until the last renewal runs out; after that another instance may hold it.
            held = lease.Held.Task.IsCompletedSuccessfully && now < lease.Until;
        }

        lock (_lock)
        {
            var wasHeld = lease.Held.Task.IsCompletedSuccessfully;
            if (held && !wasHeld)
            {
                lease.Take();
                StoreLog.LeaseTaken(logger, Holder, lease.Name);
            }
            else if (!held && wasHeld)
            {
                lease.Lose();
                StoreLog.LeaseLost(logger, Holder, lease.Name);
            }

            if (held)
            {
                lease.Until = now + options.Value.LeaseTime;
            }
        }
    }

    private sealed class Lease(string name)
    {
        private CancellationTokenSource? _held;

        public string Name { get; } = name;

        public DateTimeOffset Until { get; set; }

        public TaskCompletionSource<CancellationToken> Held { get; private set; } = NewWaiter();

        public void Take()
        {
            _held = new CancellationTokenSource();
            Held.TrySetResult(_held.Token);
        }

        public void Lose()
        {
            _held?.Cancel();
            _held = null;
            if (Held.Task.IsCompleted)
            {
                Held = NewWaiter();
            }
        }

        private static TaskCompletionSource<CancellationToken> NewWaiter() => new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
