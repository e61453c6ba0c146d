using MtaStsReporting.Daemon.Ingestion.Imap;

namespace MtaStsReporting.Daemon.Ingestion;

/// <summary>
/// The life of a mailbox reader, IMAP or Microsoft Graph alike: hold the mailbox's lease (one
/// instance reads it at a time), run sessions, and after a failure say its cause once (health,
/// metric, log) and try again after a backoff that doubles from one second up to
/// <c>MaxReconnectDelay</c>. A worker that gave up would stop the whole host, so every failure,
/// of the server or of the store, ends a session the same way: nothing was moved that was not
/// committed, and the mail is read again.
/// </summary>
/// <param name="name">The mailbox's display name (health, logs, metrics, lease).</param>
/// <param name="maxDelay">The longest wait between attempts.</param>
public sealed class MailboxLoop(string name, TimeSpan maxDelay, MailboxStatusBoard board, Storage.LeaseKeeper leases, TimeProvider time,
    Observability.DaemonMetrics metrics, ILogger logger)
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(1);

    /// <summary>The lease that makes one instance the reader of this mailbox.</summary>
    public string Lease => "mailbox:" + name;

    /// <summary>
    /// Runs sessions until <paramref name="stoppingToken"/>. A session is given its token and a
    /// callback to call once it has done its work (folders opened, mail read): only then does the
    /// backoff start again, so that a server that accepts the login and refuses everything after
    /// is not asked every second. <paramref name="describe"/> turns a failure into one line, and
    /// a wait when the failure says how long (a refused login, throttling).
    /// </summary>
    public async Task RunAsync(Func<CancellationToken, Action, Task> session, Func<Exception, (string Cause, TimeSpan? Wait)> describe, CancellationToken stoppingToken)
    {
        var delay = FirstDelay;
        board.Set(name, connected: false, error: "not connected yet");
        while (!stoppingToken.IsCancellationRequested)
        {
            CancellationToken held;
            try
            {
                held = await leases.HoldAsync(Lease, stoppingToken, () => board.Set(name, connected: false, error: null));
            }
            catch (OperationCanceledException)
            {
                break;
            }

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, held);
            try
            {
                await session(linked.Token, () => delay = FirstDelay);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (OperationCanceledException) when (held.IsCancellationRequested)
            {
                // Another instance reads the mailbox now; this one waits for the lease again.
                continue;
            }
            catch (Exception ex)
            {
                var (cause, wait) = describe(ex);
                delay = wait ?? delay;
                board.Set(name, connected: false, error: cause);
                metrics.MailboxError(name);
                MailboxLog.Failed(logger, name, cause, delay.TotalSeconds);
                MailboxLog.FailureDetail(logger, name, ex);
                try
                {
                    await Task.Delay(delay, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, maxDelay.Ticks));
            }
        }
    }
}
