using System.Collections.Concurrent;
using MtaStsReporting.Domain.TlsRpt.Outbound;
using MtaStsReporting.Persistence.Outbound;
using MtaStsReporting.Persistence.Store;

namespace MtaStsReporting.Daemon.Outbound;

/// <summary>What one send pass did.</summary>
public sealed record SendPass(int Delivered, int Retrying, int Failed, int GivenUp);

/// <summary>
/// Sends the deliveries that are due. Each attempt is committed as started before a byte leaves
/// and as finished after the answer, so that a delivery is never sent twice by accident: if the
/// daemon dies between the two, the attempt stays unfinished and is marked interrupted by the
/// next sender (<see cref="OutboundReportStore.InterruptOthersAsync"/>), not repeated. Answers
/// move the delivery on as <see cref="DeliverySchedule.After"/> says.
/// </summary>
public sealed class ReportSender(ReportingStore store, IReportTransport transport, OutboundOptions options, TimeProvider time, Observability.DaemonMetrics metrics, ILogger<ReportSender> logger)
{
    /// <summary>Deliveries read per pass.</summary>
    public const int PassSize = 200;

    /// <summary>Sends what is due now, as <paramref name="holder"/>; returns what happened.</summary>
    public async Task<SendPass> SendDueAsync(string holder, OutboundSwitches switches, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var due = await store.Outbound.DueAsync(now, PassSize, cancellationToken);
        if (due.Count == 0)
        {
            return new SendPass(0, 0, 0, 0);
        }

        var suppressed = await store.Outbound.SuppressedAsync(now, cancellationToken);
        var reports = new ConcurrentDictionary<string, Lazy<Task<OutboundReport?>>>(StringComparer.Ordinal);
        int delivered = 0, retrying = 0, failed = 0, givenUp = 0;
        await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = options.MaxParallelDeliveries, CancellationToken = cancellationToken }, async (delivery, token) =>
        {
            if (switches.ExcludedDomains.Contains(delivery.PolicyDomain))
            {
                await store.Outbound.GiveUpAsync(delivery.ReportId, delivery.Destination, OutboundSwitches.ExcludedReason, token);
                Interlocked.Increment(ref givenUp);
                return;
            }

            if (suppressed.TryGetValue(delivery.Destination, out var until))
            {
                await store.Outbound.GiveUpAsync(delivery.ReportId, delivery.Destination, $"the destination is suppressed until {until:yyyy-MM-dd'T'HH:mm:ss'Z'}: its last reports all failed", token);
                Interlocked.Increment(ref givenUp);
                return;
            }

            var report = await reports.GetOrAdd(delivery.ReportId, id => new Lazy<Task<OutboundReport?>>(() => LoadAsync(id, token))).Value;
            if (report is null)
            {
                return;
            }

            var step = await AttemptAsync(delivery, report, holder, switches, token);
            switch (step?.State)
            {
                case DeliveryStates.Delivered: Interlocked.Increment(ref delivered); break;
                case DeliveryStates.Pending: Interlocked.Increment(ref retrying); break;
                case DeliveryStates.Failed: Interlocked.Increment(ref failed); break;
                case DeliveryStates.GivenUp: Interlocked.Increment(ref givenUp); break;
            }
        });

        return new SendPass(delivered, retrying, failed, givenUp);
    }

    private async Task<DeliveryStep?> AttemptAsync(DueDelivery delivery, OutboundReport report, string holder, OutboundSwitches switches, CancellationToken cancellationToken)
    {
        var destination = new Uri(delivery.Destination);
        var sendTo = switches.TestAddress ?? destination;
        var attempt = await store.Outbound.StartAttemptAsync(delivery.ReportId, delivery.Destination, sendTo.OriginalString, holder, cancellationToken);
        if (attempt is null)
        {
            return null; // taken by another sender, or changed by an admin meanwhile
        }

        DeliveryAnswer answer;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(options.AttemptTimeout);
            try
            {
                answer = await transport.SendAsync(report, sendTo, timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                answer = DeliveryAnswer.Unreachable($"no answer within {options.AttemptTimeout.TotalSeconds:0} s");
            }
        }

        var schedule = options.Schedule;
        var step = schedule.After(answer, delivery.FirstAttemptAt, time.GetUtcNow(), attempt.Value);
        var outcome = answer.Outcome switch
        {
            DeliveryOutcome.Delivered => "delivered",
            DeliveryOutcome.Permanent => "permanent",
            _ => "temporary",
        };
        // The answer is committed even when the daemon is stopping: it is what makes the attempt finished.
        await store.Outbound.FinishAttemptAsync(delivery.ReportId, delivery.Destination, attempt.Value, holder,
            new AttemptResult(outcome, answer.Text, step.State, step.NextAttempt, step.DestinationFailed), schedule.SuppressedUntil, CancellationToken.None);
        metrics.OutboundAttempt(sendTo.Scheme, outcome);
        OutboundLog.Attempted(logger, delivery.ReportId, sendTo.OriginalString, attempt.Value, outcome, answer.Text, step.State);
        return step;
    }

    private async Task<OutboundReport?> LoadAsync(string reportId, CancellationToken cancellationToken)
    {
        var stored = await store.Outbound.GetAsync(reportId, cancellationToken, withDeliveries: false);
        if (stored?.Json is null)
        {
            return null;
        }

        // Sent exactly as stored: the JSON is the report, whatever the counts became since.
        return new OutboundReport(stored.ReportId, stored.Day, stored.PolicyDomain, [], System.Text.Encoding.UTF8.GetBytes(stored.Json), stored.Sessions, stored.Failures);
    }
}
