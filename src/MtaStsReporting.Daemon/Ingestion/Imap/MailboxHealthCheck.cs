using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace MtaStsReporting.Daemon.Ingestion.Imap;

/// <summary>Healthy while the mailbox's worker is connected; unhealthy (with the error) while it is not.</summary>
public sealed class MailboxHealthCheck(string mailbox, MailboxStatusBoard board) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(board.Get(mailbox) switch
        {
            { Connected: true } => HealthCheckResult.Healthy($"{mailbox}: connected"),
            { Error: null } => HealthCheckResult.Healthy($"{mailbox}: standby, read by another instance"),
            { } state => new HealthCheckResult(context.Registration.FailureStatus, $"{mailbox}: {state.Error}"),
            null => new HealthCheckResult(context.Registration.FailureStatus, $"{mailbox}: not started"),
        });
}
