using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Hosting;
using MtaStsReporting.Daemon.Observability;

namespace MtaStsReporting.Daemon.Forward;

/// <summary>
/// Sends the spool to the central daemon, oldest batch first, one at a time (the order the
/// counts were made in). A batch leaves the spool only once the central daemon has committed
/// it (or knows its id already); while the daemon cannot be reached the sender waits, doubling
/// the wait up to <see cref="ForwardOptions.MaxRetryDelay"/>. A batch the daemon refuses for
/// good (INVALID_ARGUMENT) is set aside, so that one bad batch cannot hold up the rest.
/// </summary>
internal sealed class SpoolSender(BatchSpool spool, IOptions<ForwardOptions> options, ForwardKey key, DaemonMetrics metrics, TimeProvider time, ILogger<SpoolSender> logger)
    : BackgroundService, IHealthCheck
{
    private readonly ForwardOptions _options = options.Value;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private volatile string? _unreachable;
    private DateTimeOffset _unreachableSince;

    /// <summary>New batches are in the spool.</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Woken already.
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var channel = GrpcChannel.ForAddress(_options.To!, new GrpcChannelOptions { HttpHandler = ClientChannels.Handler(_options.CaFile) });
        var client = new RelayOutcomes.RelayOutcomesClient(channel);
        var headers = key.Value is { Length: > 0 } k ? new Metadata { { "authorization", "Bearer " + k } } : null;
        var delay = _options.MinRetryDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            var next = spool.Oldest();
            if (next is null)
            {
                await WaitAsync(TimeSpan.FromSeconds(1), stoppingToken);
                continue;
            }

            try
            {
                var response = await client.ReportOutcomesAsync(BatchSpool.Read(next), headers, DateTime.UtcNow + _options.CallTimeout, stoppingToken);
                spool.Remove(next);
                metrics.ForwardBatch(response.Duplicate ? "duplicate" : "sent", response.SessionCount);
                if (_unreachable is not null)
                {
                    _unreachable = null;
                    ForwardLog.Reachable(logger, _options.To!, spool.Count);
                }

                delay = _options.MinRetryDelay;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.InvalidArgument)
            {
                spool.Reject(next);
                metrics.ForwardBatch("rejected", 0);
                ForwardLog.Rejected(logger, next.BatchId, ex.Status.Detail, spool.Folder);
            }
            catch (RpcException ex) when (!stoppingToken.IsCancellationRequested)
            {
                // UNAVAILABLE, a deadline, a refused key: the batch stays; the cause is said once a wait.
                var reason = ex.Status.DebugException is { } inner ? ExceptionText.Innermost(inner) : $"{ex.StatusCode}: {ex.Status.Detail}";
                if (_unreachable is null)
                {
                    _unreachableSince = time.GetUtcNow();
                }

                _unreachable = reason;
                metrics.ForwardBatch("retry", 0);
                ForwardLog.Unreachable(logger, _options.To!, reason, spool.Count, delay);
                await WaitAsync(delay, stoppingToken, wakeable: false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxRetryDelay.Ticks));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task WaitAsync(TimeSpan delay, CancellationToken stoppingToken, bool wakeable = true)
    {
        try
        {
            if (wakeable)
            {
                await _wake.WaitAsync(delay, stoppingToken);
            }
            else
            {
                await Task.Delay(delay, stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping; the spool keeps what was not sent.
        }
    }

    /// <summary>Healthy while batches go out; degraded while the central daemon cannot take them; unhealthy when the spool is full.</summary>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object> { ["spooled_batches"] = spool.Count, ["spooled_bytes"] = spool.Bytes };
        if (spool.Full)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"the spool is full (Forward:SpoolMaxMiB {_options.SpoolMaxMiB}); counts wait in memory", data: data));
        }

        return Task.FromResult(_unreachable is { } reason
            ? HealthCheckResult.Degraded($"the central daemon at {_options.To} cannot take batches since {_unreachableSince:O}: {reason}; {spool.Count} batches spooled", data: data)
            : HealthCheckResult.Healthy($"forwarding to {_options.To}; {spool.Count} batches spooled", data));
    }
}

/// <summary>The relay key the forwarder presents: from Forward:KeyFile, else MTASTS_REPORTING_API_KEY.</summary>
internal sealed record ForwardKey(string? Value);
