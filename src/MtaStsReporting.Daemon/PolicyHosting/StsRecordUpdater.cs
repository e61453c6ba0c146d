using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using MtaStsReporting.Domain.MtaSts;
using ArDns = ARSoft.Tools.Net.Dns;
using ArName = ARSoft.Tools.Net.DomainName;
using ArUpdate = ARSoft.Tools.Net.Dns.DynamicUpdate;

namespace MtaStsReporting.Daemon.PolicyHosting;

/// <summary>How an update was answered: done, or why not, in words an admin can act on.</summary>
/// <param name="Succeeded">The server applied it.</param>
/// <param name="Message">What the server said.</param>
public sealed record DnsUpdateResult(bool Succeeded, string Message);

/// <summary>
/// Publishes a domain's <c>_mta-sts</c> TXT record (RFC 8461 §3.1) through an RFC 2136 dynamic
/// update signed with a TSIG key (RFC 8945), sent to the zone's primary server: every TXT record
/// at that name is replaced by the one record, since two <c>v=STSv1</c> records mean no policy.
/// </summary>
public sealed class StsRecordUpdater(IOptions<PolicyHostingOptions> options)
{
    // RFC 8945 §5.2.3: the server refuses a signature whose time is off its own clock by more than this.
    private static readonly TimeSpan Fudge = TimeSpan.FromMinutes(5);

    /// <summary>True when <c>PolicyHosting:DnsUpdate:Server</c> is set.</summary>
    public bool Enabled => options.Value.DnsUpdate.Enabled;

    /// <summary>Where updates go, as set.</summary>
    public string? Server => options.Value.DnsUpdate.Server;

    /// <summary>Reads <c>192.0.2.53</c>, <c>192.0.2.53:5353</c> or <c>[2001:db8::53]:53</c>; null when it is none of these.</summary>
    public static IPEndPoint? ParseServer(string text) =>
        IPEndPoint.TryParse(text.Trim(), out var endPoint) ? new IPEndPoint(endPoint.Address, endPoint.Port == 0 ? 53 : endPoint.Port)
        : null;

    /// <summary>Replaces the <c>_mta-sts</c> TXT record of <paramref name="domain"/> with <paramref name="record"/>.</summary>
    public async Task<DnsUpdateResult> PublishAsync(string domain, StsRecord record, CancellationToken cancellationToken)
    {
        var settings = options.Value.DnsUpdate;
        // The key file is read at each update, so that a rotated key needs no restart.
        var key = TsigKey.Read(settings, out var keyProblem);
        if (key is null)
        {
            return new DnsUpdateResult(false, keyProblem!);
        }

        var server = ParseServer(settings.Server!)!;
        var name = ArName.Parse("_mta-sts." + domain);
        using var client = new ArDns.DnsClient([server.Address], [new ArDns.UdpClientTransport(server.Port), new ArDns.TcpClientTransport(server.Port)], true,
            (int)settings.Timeout.TotalMilliseconds);
        try
        {
            var zone = settings.Zone is { Length: > 0 } configured ? ArName.Parse(configured) : await FindZoneAsync(client, name, cancellationToken);
            if (zone is null)
            {
                return new DnsUpdateResult(false, $"{server} named no zone holding {name} (no SOA in its answer): set PolicyHosting:DnsUpdate:Zone.");
            }

            var update = new ArUpdate.DnsUpdateMessage { ZoneName = zone };
            update.Updates.Add(new ArUpdate.DeleteAllRecordsUpdate(name, ArDns.RecordType.Txt));
            update.Updates.Add(new ArUpdate.AddRecordUpdate(new ArDns.TxtRecord(name, settings.Ttl, record.ToText())));
            // The signature's time is the machine's real clock, whatever clock the daemon reads
            // elsewhere: the server compares it with its own (RFC 8945 §5.2.3).
            update.TSigOptions = new ArDns.TSigRecord(ArName.Parse(key.Name), Algorithm(key.Algorithm), DateTime.UtcNow, Fudge, update.TransactionID,
                ArDns.ReturnCode.NoError, null, key.Secret);
            var answer = await client.SendUpdateAsync(update, cancellationToken);
            if (answer is null)
            {
                return new DnsUpdateResult(false, $"{server} did not answer the update of {Name(name)} within {settings.Timeout.TotalSeconds:0.#} s.");
            }

            if (answer.ReturnCode != ArDns.ReturnCode.NoError)
            {
                var tsig = answer.TSigOptions is { Error: not ArDns.ReturnCode.NoError } t ? $", TSIG {Rcode(t.Error)}" : string.Empty;
                return new DnsUpdateResult(false, $"{server} refused the update of {Name(name)} in zone {Name(zone)}: {Rcode(answer.ReturnCode)}{tsig}{Hint(answer.ReturnCode, answer.TSigOptions?.Error)}.");
            }

            return new DnsUpdateResult(true, $"{server} replaced {Name(name)} TXT with \"{record.ToText()}\" in zone {Name(zone)} (key {key.Name}).");
        }
        catch (Exception ex) when (ex is SocketException or IOException or TimeoutException or ArgumentException or InvalidOperationException)
        {
            return new DnsUpdateResult(false, $"the update of {Name(name)} could not be sent to {server}: {ex.Message}");
        }
    }

    /// <summary>The zone holding <paramref name="name"/>, from the SOA the primary returns for it (in the answer, or in the authority section of a negative answer).</summary>
    private static async Task<ArName?> FindZoneAsync(ArDns.DnsClient client, ArName name, CancellationToken cancellationToken)
    {
        var answer = await client.ResolveAsync(name, ArDns.RecordType.Soa, ArDns.RecordClass.INet, new ArDns.DnsQueryOptions { IsRecursionDesired = false }, cancellationToken);
        return answer?.AnswerRecords.Concat(answer.AuthorityRecords).OfType<ArDns.SoaRecord>().Select(s => s.Name).FirstOrDefault();
    }

    private static ArDns.TSigAlgorithm Algorithm(string name) => name switch
    {
        "hmac-sha1" => ArDns.TSigAlgorithm.Sha1,
        "hmac-sha224" => ArDns.TSigAlgorithm.Sha224,
        "hmac-sha384" => ArDns.TSigAlgorithm.Sha384,
        "hmac-sha512" => ArDns.TSigAlgorithm.Sha512,
        "hmac-md5" => ArDns.TSigAlgorithm.Md5,
        _ => ArDns.TSigAlgorithm.Sha256,
    };

    /// <summary>The RFC's name of a response code (REFUSED, NOTAUTH, BADKEY…).</summary>
    public static string Rcode(ArDns.ReturnCode code) => code switch
    {
        ArDns.ReturnCode.FormatError => "FORMERR",
        ArDns.ReturnCode.ServerFailure => "SERVFAIL",
        ArDns.ReturnCode.NxDomain => "NXDOMAIN",
        ArDns.ReturnCode.NotImplemented => "NOTIMP",
        ArDns.ReturnCode.Refused => "REFUSED",
        ArDns.ReturnCode.YXDomain => "YXDOMAIN",
        ArDns.ReturnCode.YXRRSet => "YXRRSET",
        ArDns.ReturnCode.NXRRSet => "NXRRSET",
        ArDns.ReturnCode.NotAuthoritive => "NOTAUTH",
        ArDns.ReturnCode.NotZone => "NOTZONE",
        ArDns.ReturnCode.BadSig => "BADSIG",
        ArDns.ReturnCode.BadKey => "BADKEY",
        ArDns.ReturnCode.BadTime => "BADTIME",
        _ => code.ToString().ToUpperInvariant(),
    };

    private static string Hint(ArDns.ReturnCode code, ArDns.ReturnCode? tsig) => (code, tsig) switch
    {
        (_, ArDns.ReturnCode.BadKey) => " (the server does not know this key name and algorithm)",
        (_, ArDns.ReturnCode.BadSig) => " (the secret differs from the server's)",
        (_, ArDns.ReturnCode.BadTime) => " (this machine's clock is off the server's by more than 5 minutes)",
        (ArDns.ReturnCode.Refused, _) => " (the server's update-policy does not let this key change that name)",
        (ArDns.ReturnCode.NotAuthoritive or ArDns.ReturnCode.NotZone, _) => " (the server is not the primary of that zone: check PolicyHosting:DnsUpdate:Server and Zone)",
        _ => string.Empty,
    };

    private static string Name(ArName name) => name.ToString().TrimEnd('.');
}
