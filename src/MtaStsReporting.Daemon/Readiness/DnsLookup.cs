using System.Net;
using DnsClient;
using DnsClient.Protocol;

namespace MtaStsReporting.Daemon.Readiness;

/// <summary>How a DNS question was answered. Time-out, SERVFAIL, REFUSED and NXDOMAIN are different facts for an admin.</summary>
public enum DnsStatus
{
    /// <summary>NOERROR with records of the type asked for.</summary>
    Answered,

    /// <summary>NOERROR without records of that type (NODATA): the name exists.</summary>
    NoRecords,

    /// <summary>The name does not exist.</summary>
    NxDomain,

    /// <summary>The resolver could not get an answer from the zone's name servers.</summary>
    ServFail,

    /// <summary>The resolver would not answer.</summary>
    Refused,

    /// <summary>No answer within <c>Dns:Timeout</c> (after the resolver's retries).</summary>
    TimedOut,

    /// <summary>Any other error (a malformed answer, another response code, a network error).</summary>
    Failed,
}

/// <summary>The records found for one question, and how it was answered.</summary>
public sealed record DnsAnswer<T>(string Name, string Type, DnsStatus Status, IReadOnlyList<T> Records, string? Detail)
{
    /// <summary>The lookup itself failed: nothing is known about the records.</summary>
    public bool LookupFailed => Status is DnsStatus.ServFail or DnsStatus.Refused or DnsStatus.TimedOut or DnsStatus.Failed;

    /// <summary>What happened, in words an admin can act on.</summary>
    public string Describe() => Status switch
    {
        DnsStatus.Answered => $"{Records.Count} {Type} record(s) for {Name}",
        DnsStatus.NoRecords => $"{Name} has no {Type} record",
        DnsStatus.NxDomain => $"{Name} does not exist (NXDOMAIN)",
        DnsStatus.ServFail => $"the {Type} lookup of {Name} failed with SERVFAIL: the resolver got no usable answer from the zone's name servers (unreachable, lame delegation or broken DNSSEC)",
        DnsStatus.Refused => $"the {Type} lookup of {Name} was REFUSED by the resolver",
        DnsStatus.TimedOut => $"the {Type} lookup of {Name} timed out: no answer from the resolver",
        _ => $"the {Type} lookup of {Name} failed: {Detail}",
    };
}

/// <summary>DNS questions of the live check, each answered as a value (never an exception for what DNS says).</summary>
public sealed class DnsLookup(ILookupClient client)
{
    /// <summary>The TXT strings at <paramref name="name"/>, a record split into several strings joined into one value.</summary>
    public Task<DnsAnswer<string>> TxtAsync(string name, CancellationToken cancellationToken) =>
        QueryAsync(name, QueryType.TXT, TxtStrings, cancellationToken);

    /// <summary>
    /// The TXT strings at <paramref name="name"/> asked of the resolver again, past this
    /// process's cache: after the daemon changed a record itself, the answer it cached before
    /// says nothing about the change.
    /// </summary>
    public Task<DnsAnswer<string>> FreshTxtAsync(string name, CancellationToken cancellationToken) =>
        QueryAsync(name, QueryType.TXT, TxtStrings, cancellationToken, fresh: true);

    // A TXT record split into several strings is one value (RFC 7208 §3.3 does the same for SPF).
    private static IEnumerable<string> TxtStrings(IDnsQueryResponse response) => response.Answers.TxtRecords().Select(t => string.Concat(t.Text));

    /// <summary>The MX records of <paramref name="domain"/>, by preference.</summary>
    public Task<DnsAnswer<MxRecord>> MxAsync(string domain, CancellationToken cancellationToken) =>
        QueryAsync(domain, QueryType.MX, r => r.Answers.MxRecords().OrderBy(m => m.Preference), cancellationToken);

    /// <summary>The IPv4 then IPv6 addresses of <paramref name="host"/>; a failure of either question is the answer's status.</summary>
    public async Task<DnsAnswer<IPAddress>> AddressesAsync(string host, CancellationToken cancellationToken)
    {
        var v4 = await QueryAsync(host, QueryType.A, r => r.Answers.ARecords().Select(a => a.Address), cancellationToken);
        if (v4.Status == DnsStatus.NxDomain || v4.LookupFailed)
        {
            return v4 with { Type = "A/AAAA" };
        }

        var v6 = await QueryAsync(host, QueryType.AAAA, r => r.Answers.AaaaRecords().Select(a => a.Address), cancellationToken);
        var all = v4.Records.Concat(v6.Records).ToList();
        var status = all.Count > 0 ? DnsStatus.Answered : v6.LookupFailed ? v6.Status : DnsStatus.NoRecords;
        return new DnsAnswer<IPAddress>(host, "A/AAAA", status, all, v6.Detail);
    }

    private async Task<DnsAnswer<T>> QueryAsync<T>(string name, QueryType type, Func<IDnsQueryResponse, IEnumerable<T>> select, CancellationToken cancellationToken, bool fresh = false)
    {
        IDnsQueryResponse response;
        try
        {
            response = fresh && client is LookupClient lookup
                ? await client.QueryAsync(new DnsQuestion(name, type), new DnsQueryAndServerOptions([.. lookup.NameServers])
                {
                    UseCache = false, Timeout = lookup.Settings.Timeout, Retries = lookup.Settings.Retries,
                }, cancellationToken)
                : await client.QueryAsync(name, type, cancellationToken: cancellationToken);
        }
        catch (DnsResponseException ex) when (ex.Code == DnsResponseCode.ConnectionTimeout)
        {
            return new DnsAnswer<T>(name, type.ToString(), DnsStatus.TimedOut, [], ex.Message);
        }
        catch (DnsResponseException ex)
        {
            return new DnsAnswer<T>(name, type.ToString(), DnsStatus.Failed, [], ex.Message);
        }
        catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new DnsAnswer<T>(name, type.ToString(), DnsStatus.TimedOut, [], ex.Message);
        }

        var status = response.Header.ResponseCode switch
        {
            DnsHeaderResponseCode.NoError => DnsStatus.Answered,
            DnsHeaderResponseCode.NotExistentDomain => DnsStatus.NxDomain,
            DnsHeaderResponseCode.ServerFailure => DnsStatus.ServFail,
            DnsHeaderResponseCode.Refused => DnsStatus.Refused,
            _ => DnsStatus.Failed,
        };
        var records = status == DnsStatus.Answered ? select(response).ToList() : [];
        if (status == DnsStatus.Answered && records.Count == 0)
        {
            status = DnsStatus.NoRecords;
        }

        return new DnsAnswer<T>(name, type.ToString(), status, records, status == DnsStatus.Failed ? response.ErrorMessage : null);
    }
}
