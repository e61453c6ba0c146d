using MtaStsReporting.Persistence.Schema;
using MtaStsReporting.Persistence.Store;

namespace MtaStsReporting.Persistence.Coordination;

/// <summary>
/// Leases: which instance runs a job that must run once (a mailbox, the retention sweep, the
/// outbound reports) when several share one database. A lease is a row taken in a transaction
/// of the database itself, so the database is the only arbiter: it is taken when free, expired
/// or already the taker's, renewed by its holder well before it expires, and taken over by
/// another instance once its holder stops renewing it (a crash, a lost connection).
/// Expiry compares the instances' clocks, which must agree to well within the lease time (NTP).
/// </summary>
public sealed class LeaseStore(ReportingStore store)
{
    /// <summary>Takes or renews the lease until <paramref name="until"/>; true when <paramref name="holder"/> holds it now.</summary>
    public Task<bool> TryTakeAsync(string name, string holder, DateTimeOffset until, CancellationToken cancellationToken) =>
        store.WriteAsync(new WriteUnit<bool>(s =>
        {
            s.Execute(LeasesTable.Take, name, holder, until.ToUnixTimeMilliseconds(), s.Now.ToUnixTimeMilliseconds());
            return s.Scalar(LeasesTable.Holder, name) as string == holder;
        }), cancellationToken);

    /// <summary>Gives the lease up (at a clean stop), so that another instance takes it at once.</summary>
    public Task ReleaseAsync(string name, string holder, CancellationToken cancellationToken) =>
        store.WriteAsync(new WriteUnit<int>(s => s.Execute(LeasesTable.Release, name, holder)), cancellationToken);
}
