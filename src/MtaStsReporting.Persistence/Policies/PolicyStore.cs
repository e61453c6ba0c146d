using System.Text.Json;
using MtaStsReporting.Persistence.Schema;
using MtaStsReporting.Persistence.Store;

namespace MtaStsReporting.Persistence.Policies;

/// <summary>What became of a policy version.</summary>
public enum PolicyState
{
    /// <summary>Served at <c>mta-sts.&lt;domain&gt;</c>; the <c>_mta-sts</c> record with its id is not yet seen in DNS.</summary>
    Served,

    /// <summary>Served, and the live check saw both the policy and the record with its id.</summary>
    Confirmed,

    /// <summary>The step failed half-way; the version before it was served again.</summary>
    Failed,
}

/// <summary>A version of one of our own policies, as recorded.</summary>
/// <param name="Domain">The policy domain.</param>
/// <param name="Version">1, 2, 3… per domain.</param>
/// <param name="PolicyId">The <c>_mta-sts</c> id that goes with it.</param>
/// <param name="PolicyText">The policy file's body.</param>
/// <param name="State">What became of it.</param>
/// <param name="CreatedAt">When it was made.</param>
/// <param name="UpdatedAt">When its state last changed.</param>
/// <param name="Actor">Who made it.</param>
/// <param name="Origin"><c>settings</c>, <c>set</c> or <c>apply</c>.</param>
/// <param name="Reason">The reason given.</param>
/// <param name="Forced">True when refusals were overridden.</param>
/// <param name="Overridden">The refusals overridden.</param>
/// <param name="Verdict">The readiness verdict it rested on, empty when none.</param>
/// <param name="Evidence">The verdict's reasons, JSON.</param>
/// <param name="Outcome">What became of it, in a sentence.</param>
public sealed record PolicyVersion(
    string Domain, int Version, string PolicyId, string PolicyText, PolicyState State, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    string Actor, string Origin, string Reason, bool Forced, IReadOnlyList<string> Overridden, string Verdict, string Evidence, string Outcome);

/// <summary>A version to serve: everything but its number, state and times, which the store gives.</summary>
/// <param name="Domain">The policy domain.</param>
/// <param name="PolicyId">The <c>_mta-sts</c> id that goes with it.</param>
/// <param name="PolicyText">The policy file's body.</param>
/// <param name="Actor">Who makes it.</param>
/// <param name="Origin"><c>settings</c>, <c>set</c> or <c>apply</c>.</param>
/// <param name="Reason">The reason given.</param>
/// <param name="Overridden">The refusals overridden (forced when any).</param>
/// <param name="Verdict">The readiness verdict it rests on, empty when none.</param>
/// <param name="Evidence">The verdict's reasons, JSON.</param>
public sealed record NewPolicyVersion(
    string Domain, string PolicyId, string PolicyText, string Actor, string Origin, string Reason, IReadOnlyList<string> Overridden, string Verdict, string Evidence);

/// <summary>
/// Our own MTA-STS policies as data: every version kept (the history an auditor reads), and a
/// pointer to the one served. A change inserts a version and moves the pointer in one
/// transaction, and only from the version it was planned against; a step that fails half-way
/// moves it back. Every instance serves what the pointer says.
/// </summary>
public sealed class PolicyStore(ReportingStore store)
{
    /// <summary>The version served for each domain, by domain name.</summary>
    public async Task<List<PolicyVersion>> ServedAsync(CancellationToken cancellationToken) =>
        await ReadAsync($"SELECT {PolicyVersionsTable.Columns} FROM hosted_policies h JOIN policy_versions v ON v.domain = h.domain AND v.version = h.version ORDER BY v.domain",
            cancellationToken);

    /// <summary>The version served for a domain, or null when we host no policy for it.</summary>
    public async Task<PolicyVersion?> ServedAsync(string domain, CancellationToken cancellationToken) =>
        (await ReadAsync($"SELECT {PolicyVersionsTable.Columns} FROM hosted_policies h JOIN policy_versions v ON v.domain = h.domain AND v.version = h.version WHERE h.domain = @d",
            cancellationToken, domain)).SingleOrDefault();

    /// <summary>Every version of a domain's policy, newest first, failed ones included.</summary>
    public Task<List<PolicyVersion>> HistoryAsync(string domain, CancellationToken cancellationToken) =>
        ReadAsync($"SELECT {PolicyVersionsTable.Columns} FROM policy_versions v WHERE v.domain = @d ORDER BY v.version DESC", cancellationToken, domain);

    /// <summary>
    /// Records a new version and serves it, if the version served is still
    /// <paramref name="expected"/> (null: none yet). Null when it is not (someone else changed the
    /// policy meanwhile): then nothing is written.
    /// </summary>
    public Task<PolicyVersion?> ServeAsync(NewPolicyVersion change, int? expected, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        return store.WriteAsync(new WriteUnit<PolicyVersion?>(s =>
        {
            var version = (int)(s.Scalar(PolicyVersionsTable.LastVersion, change.Domain) is { } last ? Convert.ToInt64(last, System.Globalization.CultureInfo.InvariantCulture) : 0) + 1;
            var moved = expected is null
                ? s.Execute(PolicyVersionsTable.Adopt, change.Domain, version)
                : s.Execute(PolicyVersionsTable.Move, version, change.Domain, expected.Value);
            if (moved != 1)
            {
                return null;
            }

            var at = s.Now.ToUnixTimeMilliseconds();
            s.Execute(PolicyVersionsTable.Insert, change.Domain, version, change.PolicyId, change.PolicyText, Name(PolicyState.Served), at,
                change.Actor, change.Origin, change.Reason, change.Overridden.Count > 0, JsonSerializer.Serialize(change.Overridden), change.Verdict, change.Evidence, string.Empty);
            var when = DateTimeOffset.FromUnixTimeMilliseconds(at);
            return new PolicyVersion(change.Domain, version, change.PolicyId, change.PolicyText, PolicyState.Served, when, when, change.Actor, change.Origin,
                change.Reason, change.Overridden.Count > 0, change.Overridden, change.Verdict, change.Evidence, string.Empty);
        }), cancellationToken);
    }

    /// <summary>Records what became of a version (the record confirmed, still awaited…).</summary>
    public Task RecordAsync(string domain, int version, PolicyState state, string outcome, CancellationToken cancellationToken) =>
        store.WriteAsync(new WriteUnit<int>(s => s.Execute(PolicyVersionsTable.SetState, Name(state), outcome, s.Now.ToUnixTimeMilliseconds(), domain, version)), cancellationToken);

    /// <summary>
    /// A step failed half-way: <paramref name="failed"/> is marked failed with why, and
    /// <paramref name="previous"/> is served again (null: the domain had no policy, and none is
    /// served). False when the served version is no longer <paramref name="failed"/>: then only
    /// the failure is recorded.
    /// </summary>
    public Task<bool> RevertAsync(string domain, int failed, int? previous, string outcome, CancellationToken cancellationToken) =>
        store.WriteAsync(new WriteUnit<bool>(s =>
        {
            s.Execute(PolicyVersionsTable.SetState, Name(PolicyState.Failed), outcome, s.Now.ToUnixTimeMilliseconds(), domain, failed);
            return (previous is null
                ? s.Execute(PolicyVersionsTable.Drop, domain, failed)
                : s.Execute(PolicyVersionsTable.Move, previous.Value, domain, failed)) == 1;
        }), cancellationToken);

    private async Task<List<PolicyVersion>> ReadAsync(string sql, CancellationToken cancellationToken, params object?[] values)
    {
        var versions = new List<PolicyVersion>();
        await using var connection = await store.OpenReaderAsync(cancellationToken);
        await using var command = Statement.Query(connection, sql, values);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            versions.Add(new PolicyVersion(
                reader.GetString(0), (int)reader.Int64(1), reader.GetString(2), reader.GetString(3), Parse(reader.GetString(4)), reader.Instant(5), reader.Instant(6),
                reader.GetString(7), reader.GetString(8), reader.GetString(9), Convert.ToBoolean(reader.GetValue(10), System.Globalization.CultureInfo.InvariantCulture),
                reader.Strings(11), reader.GetString(12), reader.GetString(13), reader.GetString(14)));
        }

        return versions;
    }

    private static string Name(PolicyState state) => state switch
    {
        PolicyState.Served => "served",
        PolicyState.Confirmed => "confirmed",
        _ => "failed",
    };

    private static PolicyState Parse(string state) => state switch
    {
        "served" => PolicyState.Served,
        "confirmed" => PolicyState.Confirmed,
        _ => PolicyState.Failed,
    };
}
