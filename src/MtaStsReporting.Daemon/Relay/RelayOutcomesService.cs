using Grpc.Core;
using Microsoft.Extensions.Options;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Hosting;
using MtaStsReporting.Daemon.Storage;
using MtaStsReporting.Domain.RelayOutcomes;
using MtaStsReporting.Persistence;
using MtaStsReporting.Persistence.RelayOutcomes;

namespace MtaStsReporting.Daemon.Relay;

/// <summary>
/// The relay API. Translates messages to domain outcomes (<see cref="RelayRequestReader"/>),
/// hands them to the store, and turns outcomes into status codes: nothing else.
/// </summary>
public sealed class RelayOutcomesService(RelayRequestReader reader, RelayOutcomeWriter store, IOptions<RelayOptions> options, Observability.DaemonMetrics metrics, ILogger<RelayOutcomesService> logger)
    : RelayOutcomes.RelayOutcomesBase
{
    /// <inheritdoc />
    public override async Task<ReportOutcomesResponse> ReportOutcomes(OutcomeBatch request, ServerCallContext context)
    {
        var delta = new DailyOutcomeDelta();
        var error = RelayRequestReader.CheckBatchId(request.BatchId) ?? reader.Read(request, string.Empty, delta);
        if (error is null && delta.IsEmpty)
        {
            error = new FieldError("session_outcomes", "the batch carries no outcomes");
        }

        if (error is not null)
        {
            throw Invalid(error);
        }

        return await CommitAsync(request.BatchId, delta, context.CancellationToken);
    }

    /// <inheritdoc />
    public override async Task<ReportOutcomesResponse> StreamOutcomes(IAsyncStreamReader<OutcomeBatch> requestStream, ServerCallContext context)
    {
        // The stream is one batch, folded in memory as it arrives: memory grows with the number
        // of distinct (day, domain, policy, failure) keys, not with the number of outcomes.
        var delta = new DailyOutcomeDelta();
        string? batchId = null;
        long items = 0;
        var index = 0;
        await foreach (var message in requestStream.ReadAllAsync(context.CancellationToken))
        {
            var prefix = $"messages[{index}].";
            if (batchId is null)
            {
                if (RelayRequestReader.CheckBatchId(message.BatchId, prefix + "batch_id") is { } idError)
                {
                    throw Invalid(idError);
                }

                batchId = message.BatchId;
            }
            else if (message.BatchId.Length > 0 && message.BatchId != batchId)
            {
                throw Invalid(new FieldError(prefix + "batch_id", $"differs from the stream's batch id '{batchId}'; a stream is one batch"));
            }

            items += RelayRequestReader.ItemsIn(message);
            if (items > options.Value.MaxStreamItems)
            {
                throw Invalid(new FieldError(prefix + "session_outcomes", $"the stream carries more than {options.Value.MaxStreamItems} outcomes (Relay:MaxStreamItems); split it into several batches"));
            }

            if (reader.Read(message, prefix, delta) is { } error)
            {
                throw Invalid(error);
            }

            index++;
        }

        if (batchId is null || delta.IsEmpty)
        {
            throw Invalid(new FieldError("messages", "the stream carries no outcomes"));
        }

        return await CommitAsync(batchId, delta, context.CancellationToken);
    }

    private async Task<ReportOutcomesResponse> CommitAsync(string batchId, DailyOutcomeDelta delta, CancellationToken cancellationToken)
    {
        BatchCommitResult result;
        try
        {
            result = await store.CommitAsync(new PendingBatch(batchId, delta), cancellationToken);
        }
        catch (StoreUnavailableException ex)
        {
            // Retryable: nothing was stored, and a retry with the same id is counted once.
            throw new RpcException(new Status(StatusCode.Unavailable, ex.Message));
        }
        catch (ObjectDisposedException)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "The daemon is shutting down; retry the batch with the same id."));
        }

        var duplicate = result == BatchCommitResult.Duplicate;
        metrics.RelayBatch(duplicate ? "duplicate" : "committed", delta.SessionCount);
        if (duplicate)
        {
            RelayLog.DuplicateBatch(logger, batchId);
        }

        return new ReportOutcomesResponse
        {
            Duplicate = duplicate,
            SessionCount = duplicate ? 0 : delta.SessionCount,
            PolicyFetchCount = duplicate ? 0 : delta.FetchCount,
        };
    }

    private RpcException Invalid(FieldError error)
    {
        metrics.RelayBatch("rejected", 0);
        RelayLog.Rejected(logger, error.Field, error.Message);
        return new RpcException(new Status(StatusCode.InvalidArgument, error.ToString()));
    }
}

internal static partial class RelayLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Relay batch rejected: {Field}: {Reason}")]
    public static partial void Rejected(ILogger logger, string field, string reason);

    [LoggerMessage(EventId = 201, Level = LogLevel.Debug, Message = "Relay batch {BatchId} was committed before; counted once")]
    public static partial void DuplicateBatch(ILogger logger, string batchId);
}
