using Microsoft.Extensions.Options;
using MtaStsReporting.Domain.MtaSts;
using MtaStsReporting.Persistence.Policies;
using MtaStsReporting.Persistence.Store;

namespace MtaStsReporting.Daemon.PolicyHosting;

/// <summary>
/// The policies this instance serves: the versions the store points at, read at start (after
/// the settings' domains are stored as their first versions), again after each change made
/// here, and every <c>PolicyHosting:RefreshInterval</c> for changes made through another
/// instance. The policy listener reads <see cref="Current"/> on every request, without I/O.
/// </summary>
public sealed partial class ServedPolicies(ReportingStore store, IOptions<PolicyHostingOptions> options, TimeProvider time, ILogger<ServedPolicies> logger) : BackgroundService
{
    private volatile HostedPolicies _current = HostedPolicies.Empty;

    /// <summary>The policies served now.</summary>
    public HostedPolicies Current => _current;

    /// <summary>
    /// At start, before the listener opens: each domain of the settings that the store does not
    /// hold yet becomes its version 1, then the versions served are read. A domain the store
    /// already holds keeps its stored policy (changed through the API since), and a settings
    /// entry that differs from it is said once.
    /// </summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        var settings = HostedPolicies.Read(options.Value.Domains, out _);
        foreach (var (domain, policy) in settings.Policies)
        {
            var stored = await store.Policies.ServedAsync(domain, cancellationToken);
            if (stored is null)
            {
                var id = StsRecord.Next(time.GetUtcNow(), null).Id;
                // Another instance may store it first: then its version 1 stands.
                await store.Policies.ServeAsync(
                    new NewPolicyVersion(domain, id, policy.ToText(), "settings", "settings", "PolicyHosting:Domains at first start", [], string.Empty, string.Empty),
                    null, cancellationToken);
            }
            else if (stored.PolicyText != policy.ToText())
            {
                SettingsDiffer(domain, stored.Version);
            }
        }

        await RefreshAsync(cancellationToken);
    }

    /// <summary>Reads the versions served again (after a change, or on the interval).</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var served = HostedPolicies.From(await store.Policies.ServedAsync(cancellationToken), out var unreadable);
        foreach (var problem in unreadable)
        {
            Unreadable(problem);
        }

        _current = served;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.RefreshInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RefreshAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The versions already read are still served: a store that is down for a moment
                // must not take the policies off the internet.
                RefreshFailed(ex.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "PolicyHosting:Domains names {Domain} with another policy than the one stored (version {Version}): the stored one is served; change it with 'policy set'")]
    private partial void SettingsDiffer(string domain, int version);

    [LoggerMessage(Level = LogLevel.Error, Message = "A stored policy cannot be served: {Problem}")]
    private partial void Unreadable(string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The policies served could not be read again; the ones read before are still served: {Reason}")]
    private partial void RefreshFailed(string reason);
}
