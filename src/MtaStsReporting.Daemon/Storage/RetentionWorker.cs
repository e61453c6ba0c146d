using Microsoft.Extensions.Options;
using MtaStsReporting.Persistence.Retention;
using MtaStsReporting.Persistence.Store;

namespace MtaStsReporting.Daemon.Storage;

/// <summary>How long data is kept, and how the sweep runs. Section <c>Retention</c>.</summary>
public sealed class RetentionOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Retention";

    /// <summary>Days of relay outcome aggregates and policy fetch history.</summary>
    public int RelayOutcomeDays { get; set; } = 400;

    /// <summary>Days of inbound reports (by the day they cover), with their roll-ups.</summary>
    public int ReportDays { get; set; } = 400;

    /// <summary>Days of refused inbound input.</summary>
    public int RejectionDays { get; set; } = 90;

    /// <summary>
    /// Days a relay batch id is remembered for once-only counting; longer than
    /// Relay:MaxOutcomeAge, after which a retry is refused for its age anyway.
    /// </summary>
    public int BatchIdDays { get; set; } = 35;

    /// <summary>Time between sweeps.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Rows per step (one short transaction each).</summary>
    public int StepRows { get; set; } = 2000;
}

/// <summary>
/// Runs the retention sweep in the background, a step at a time, yielding to ingestion between
/// steps; with several instances on one database, only the holder of the <c>retention</c> lease sweeps.
/// </summary>
public sealed class RetentionWorker(IOptions<RetentionOptions> options, ReportingStore store, LeaseKeeper leases, TimeProvider time, ILogger<RetentionWorker> logger) : BackgroundService
{
    /// <summary>The lease that makes one instance the sweeper.</summary>
    public const string Lease = "retention";

    /// <summary>One sweep now (the worker's loop and tests call it).</summary>
    public async Task<SweepResult> SweepOnceAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var result = await store.Retention.SweepAsync(new RetentionPeriods(o.RelayOutcomeDays, o.ReportDays, o.RejectionDays, o.BatchIdDays), time.GetUtcNow(), o.StepRows,
            () => Task.Delay(TimeSpan.FromMilliseconds(20), time, cancellationToken), cancellationToken);
        if (result.Deleted.Values.Any(v => v > 0))
        {
            RetentionLog.Swept(logger, string.Join(", ", result.Deleted.Where(d => d.Value > 0).Select(d => $"{d.Key}={d.Value}")));
        }

        return result;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The first sweep waits one interval: a start (or a restart after a crash) is busy enough.
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var held = await leases.HoldAsync(Lease, stoppingToken);
                await Task.Delay(options.Value.Interval, time, stoppingToken);
                if (!held.IsCancellationRequested)
                {
                    await SweepOnceAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Persistence.StoreUnavailableException ex)
            {
                RetentionLog.Failed(logger, ex); // a busy or full disk: try again next interval
            }
        }
    }
}

internal static partial class RetentionLog
{
    [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "Retention removed {Counts}")]
    public static partial void Swept(ILogger logger, string counts);

    [LoggerMessage(EventId = 501, Level = LogLevel.Warning, Message = "Retention sweep failed; it runs again at the next interval")]
    public static partial void Failed(ILogger logger, Exception exception);
}
