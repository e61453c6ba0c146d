using MtaStsReporting.Daemon.Storage;
using MtaStsReporting.Persistence;
using MtaStsReporting.Persistence.Store;

namespace MtaStsReporting.Daemon.Outbound;

/// <summary>
/// Runs the sending side on the one instance that holds the <c>outbound</c> lease: builds each
/// closed day's reports, then sends what is due, and sleeps until the next delivery is due (at
/// most <see cref="OutboundOptions.PollInterval"/>). On taking the lease it first marks the
/// attempts another holder left unfinished as interrupted.
/// </summary>
public sealed class OutboundWorker(
    ReportingStore store, DailyReportBuilder builder, ReportSender sender, LeaseKeeper leases, OutboundOptions options, TimeProvider time, ILogger<OutboundWorker> logger) : BackgroundService
{
    /// <summary>The lease that makes one instance the sender.</summary>
    public const string LeaseName = "outbound";

    private readonly SemaphoreSlim _wake = new(0);
    private volatile bool _rebuildAsked;

    /// <summary>Cuts the current wait short (an admin rebuilt or resent something).</summary>
    public void Wake()
    {
        _rebuildAsked = true;
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            CancellationToken held;
            try
            {
                held = await leases.HoldAsync(LeaseName, stoppingToken, () => OutboundLog.Waiting(logger));
            }
            catch (OperationCanceledException)
            {
                return;
            }

            using var both = CancellationTokenSource.CreateLinkedTokenSource(held, stoppingToken);
            try
            {
                await RunAsync(both.Token);
            }
            catch (OperationCanceledException) when (both.IsCancellationRequested)
            {
                // Lease lost or stopping: wait for it again, or end.
            }
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var interrupted = await Retry(() => store.Outbound.InterruptOthersAsync(leases.Holder, cancellationToken), cancellationToken);
        OutboundLog.Sending(logger, leases.Holder, interrupted);
        long? lastBuild = null;
        var storeFailed = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            var wait = options.PollInterval;
            try
            {
                if (storeFailed)
                {
                    // An attempt whose end could not be committed is still "sending" under our
                    // name; none of ours is in flight between passes, so each such one is marked
                    // interrupted (it may have gone out) rather than left stuck.
                    await store.Outbound.InterruptOthersAsync(holder: "", cancellationToken);
                    storeFailed = false;
                }

                var switches = await OutboundSwitches.ReadAsync(store.Outbound, cancellationToken);
                // Days to build are looked for once per poll interval (or when an admin asks),
                // not before every pass of deliveries: the look reads the day's relay counts.
                if (lastBuild is not { } last || time.GetElapsedTime(last) >= options.PollInterval || _rebuildAsked)
                {
                    _rebuildAsked = false;
                    lastBuild = time.GetTimestamp();
                    await builder.BuildDueAsync(time.GetUtcNow(), switches, cancellationToken);
                }

                if (!switches.Paused)
                {
                    var pass = await sender.SendDueAsync(leases.Holder, switches, cancellationToken);
                    if (pass.Delivered + pass.Retrying + pass.Failed + pass.GivenUp >= ReportSender.PassSize)
                    {
                        continue; // more is due at once
                    }
                }

                if (!switches.Paused && await store.Outbound.NextDueAsync(cancellationToken) is { } next)
                {
                    var untilNext = next - time.GetUtcNow();
                    wait = untilNext < TimeSpan.Zero ? TimeSpan.Zero : untilNext < wait ? untilNext : wait;
                }
            }
            catch (Exception ex) when (ex is StoreUnavailableException or System.Data.Common.DbException)
            {
                OutboundLog.StoreFailed(logger, ex.Message);
                storeFailed = true;
            }

            await _wake.WaitAsync(wait + TimeSpan.FromMilliseconds(10), cancellationToken);
        }
    }

    private static async Task<int> Retry(Func<Task<int>> step, CancellationToken cancellationToken)
    {
        for (var delay = TimeSpan.FromSeconds(1); ; delay = delay < TimeSpan.FromSeconds(30) ? delay * 2 : delay)
        {
            try
            {
                return await step();
            }
            catch (StoreUnavailableException)
            {
                await Task.Delay(delay, cancellationToken);
            }
        }
    }
}
