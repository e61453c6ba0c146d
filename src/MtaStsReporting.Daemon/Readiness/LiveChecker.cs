using System.Globalization;
using MtaStsReporting.Daemon.Hosting;
using MtaStsReporting.Domain.MtaSts;
using MtaStsReporting.Domain.Names;
using MtaStsReporting.Domain.Readiness;
using MtaStsReporting.Domain.TlsRpt;

namespace MtaStsReporting.Daemon.Readiness;

/// <summary>One finding of a live check: what was looked at, what was seen, how much it matters.</summary>
public sealed record CheckItem(string Check, string Subject, string Value, Severity Severity, string Message);

/// <summary>A live check: the findings for people and the evidence for the readiness rules.</summary>
public sealed record DomainCheck(string Domain, IReadOnlyList<CheckItem> Items, LiveFindings Findings, string? PolicyText, IReadOnlyList<string> Rua);

/// <summary>
/// Checks a domain's published MTA-STS setup as a sending MTA would see it: the _mta-sts and
/// _smtp._tls records and the MX records, the policy fetched as RFC 8461 §3.3 says
/// (<see cref="PolicyFetcher"/>), each MX matched against the policy, and a STARTTLS probe of
/// every address of each MX (<see cref="MxProber"/>). Every DNS outcome, network failure and
/// deadline becomes a finding with its cause; <c>Check:Timeout</c> bounds the whole check.
/// </summary>
public sealed class LiveChecker(DnsLookup dns, PolicyFetcher fetcher, MxProber prober, CheckOptions options, ReadinessRules rules)
{
    /// <summary>Runs every check; never throws for what the domain (or its network) does wrong.</summary>
    public async Task<DomainCheck> CheckAsync(DomainName domain, CancellationToken cancellationToken)
    {
        var items = new List<CheckItem>();
        var d = domain.Value;
        StsRecordResult record = new(null, "not looked up");
        var rua = new List<string>();
        var mxNames = new List<string>();
        var probes = new List<MxProbe>();
        PolicyFetch? fetch = null;
        int? policyDays = null;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.Timeout);
        var token = deadline.Token;
        var stage = "looking up the _mta-sts record";
        try
        {
            record = await StsRecordAsync(d, items, token);
            stage = "looking up the _smtp._tls record";
            rua = await TlsRptRecordAsync(d, items, token);
            stage = "looking up the MX records";
            var hosts = await MxHostsAsync(d, items, mxNames, token);
            stage = "fetching the policy";
            fetch = await fetcher.FetchAsync(d, token);
            policyDays = PolicyItems(fetch, record.Record is not null, items);
            foreach (var host in hosts)
            {
                items.Add(MatchItem(host, fetch.Policy));
            }

            stage = "probing the MX hosts";
            foreach (var hostProbes in await Task.WhenAll(hosts.Select(h => prober.ProbeAsync(h.Value, token))))
            {
                probes.AddRange(hostProbes);
                items.AddRange(hostProbes.Select(ProbeItem));
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            items.Add(new CheckItem("check-deadline", d, stage, Severity.Blocking,
                $"The check ran out of its {Seconds(options.Timeout)} s (Check:Timeout) while {stage}; that step and those after it were not checked."));
        }

        var findings = new LiveFindings(record.Record, record.Error, fetch?.Policy, fetch?.Policy is null ? fetch?.Error ?? "not fetched" : null, mxNames, probes, policyDays);
        return new DomainCheck(d, items, findings, fetch?.Text, rua);
    }

    private async Task<StsRecordResult> StsRecordAsync(string d, List<CheckItem> items, CancellationToken token)
    {
        var name = $"_mta-sts.{d}";
        var txt = await dns.TxtAsync(name, token);
        if (txt.LookupFailed)
        {
            // RFC 8461 §3.1 and §5: a sender that cannot read the record applies no new policy; the fix is in DNS.
            var error = "DNS: " + txt.Describe();
            items.Add(new CheckItem("sts-record", name, txt.Status.ToString(), Severity.Blocking, error + "; fix the DNS service, the record may be right."));
            return new StsRecordResult(null, error);
        }

        var record = StsRecord.Parse(txt.Records);
        if (record.Record is { } r)
        {
            items.Add(new CheckItem("sts-record", name, "id=" + r.Id, Severity.Info, "One v=STSv1 record with a valid id."));
            return record;
        }

        var why = txt.Records.Count == 0 ? $"{record.Error} ({txt.Describe()})" : record.Error!;
        items.Add(new CheckItem("sts-record", name, string.Join(" | ", txt.Records), Severity.Blocking, why));
        return record with { Error = why };
    }

    private async Task<List<string>> TlsRptRecordAsync(string d, List<CheckItem> items, CancellationToken token)
    {
        var name = $"_smtp._tls.{d}";
        var txt = await dns.TxtAsync(name, token);
        if (txt.LookupFailed)
        {
            items.Add(new CheckItem("tlsrpt-record", name, txt.Status.ToString(), Severity.Warning, "DNS: " + txt.Describe() + "; reporters cannot read where to send reports."));
            return [];
        }

        var rpt = TlsRptRecord.Parse(txt.Records);
        var rua = rpt.Record?.Rua.Select(u => u.OriginalString).ToList() ?? [];
        items.Add(rpt.Record is not null
            ? new CheckItem("tlsrpt-record", name, string.Join(",", rua), Severity.Info, "Reports are requested.")
            : new CheckItem("tlsrpt-record", name, string.Join(" | ", txt.Records), Severity.Warning, rpt.Error + ": without TLS-RPT there is no evidence to decide on."));
        return rua;
    }

    /// <summary>The MX host names senders can use, in preference order; every name seen goes to <paramref name="names"/>.</summary>
    private async Task<List<DomainName>> MxHostsAsync(string d, List<CheckItem> items, List<string> names, CancellationToken token)
    {
        var mx = await dns.MxAsync(d, token);
        if (mx.LookupFailed || mx.Records.Count == 0)
        {
            var message = mx.LookupFailed ? "DNS: " + mx.Describe() + "." : mx.Status == DnsStatus.NxDomain ? $"{d} does not exist (NXDOMAIN)." : "No MX records.";
            items.Add(new CheckItem("mx", d, mx.Status.ToString(), Severity.Blocking, message));
            return [];
        }

        var exchanges = mx.Records.Select(r => r.Exchange.Value.TrimEnd('.').ToLowerInvariant()).Distinct().ToList();
        if (exchanges.Contains(string.Empty))
        {
            // RFC 7505: a null MX ("0 .") says the domain accepts no mail.
            items.Add(new CheckItem("mx", d, "0 .", Severity.Blocking,
                "The domain publishes a null MX (RFC 7505): it accepts no mail, so an MTA-STS policy has nothing to protect."));
            names.Add(".");
            return [];
        }

        var hosts = new List<DomainName>();
        foreach (var exchange in exchanges)
        {
            names.Add(exchange);
            if (DomainName.TryParse(exchange, out var host, out var error))
            {
                hosts.Add(host);
            }
            else
            {
                items.Add(new CheckItem("mx", exchange, exchange, Severity.Blocking, $"The MX target is not a host name senders can deliver to: {error}."));
            }
        }

        items.Add(new CheckItem("mx", d, string.Join(",", exchanges), Severity.Info, $"MX hosts: {exchanges.Count}."));
        return hosts;
    }

    /// <summary>The policy's findings; returns the days left on the policy host's certificate.</summary>
    private int? PolicyItems(PolicyFetch fetch, bool published, List<CheckItem> items)
    {
        var days = fetch.Certificate is { } c && c.NotAfter != DateTimeOffset.MinValue ? prober.DaysLeft(c) : (int?)null;
        if (fetch.Policy is not { } p)
        {
            items.Add(published
                ? new CheckItem("policy", fetch.Url, fetch.ResultType ?? string.Empty, Severity.Blocking, $"{fetch.Error} ({fetch.ResultType}).")
                : new CheckItem("policy", fetch.Url, string.Empty, Severity.Warning,
                    $"Senders look for no policy while _mta-sts has no valid record, and none is served here either: {fetch.Error}."));
            return days;
        }

        items.Add(new CheckItem("policy", fetch.Url, $"mode={p.Mode.ToRfcName()} max_age={p.MaxAge} mx={string.Join(",", p.Mx)}", Severity.Info,
            $"Fetched and valid; certificate {fetch.Certificate?.Subject}, valid until {fetch.Certificate?.NotAfter:yyyy-MM-dd}."
            + (published ? string.Empty : " Senders will not fetch it until _mta-sts has a valid record.")));
        if (fetch.MediaType is { } type && type != "text/plain")
        {
            items.Add(new CheckItem("policy-media-type", fetch.Url, type, Severity.Warning, "The policy should be served as text/plain (RFC 8461 §3.2)."));
        }

        if (p.MaxAge < 86400)
        {
            items.Add(new CheckItem("policy-max-age", fetch.Url, p.MaxAge.ToString(CultureInfo.InvariantCulture), Severity.Warning,
                "max_age under a day: senders refetch often, and a policy host outage soon lets attackers downgrade."));
        }

        if (days is { } left && left < rules.MinCertificateDaysLeft)
        {
            items.Add(new CheckItem("policy-certificate", fetch.Url, $"certificate expires in {ReadinessEvaluator.Days(left)}", Severity.Warning,
                "The policy host's certificate expires soon: once it has, senders cannot fetch the policy (sts-webpki-invalid)."));
        }

        return days;
    }

    private static CheckItem MatchItem(DomainName host, StsPolicy? policy)
    {
        if (policy is null)
        {
            return new CheckItem("mx-match", host.Value, string.Empty, Severity.Info, "Not matched: no policy was read.");
        }

        if (policy.Mode == StsPolicyMode.None)
        {
            return new CheckItem("mx-match", host.Value, string.Empty, Severity.Info, "Mode none: senders match no mx patterns (RFC 8461 §5).");
        }

        var pattern = policy.Mx.FirstOrDefault(p => p.Matches(host));
        return pattern.Value is not null
            ? new CheckItem("mx-match", host.Value, pattern.Value, Severity.Info, $"Covered by mx: {pattern.Value}.")
            : new CheckItem("mx-match", host.Value, string.Empty, Severity.Blocking, "No mx line of the policy matches this MX host.");
    }

    private CheckItem ProbeItem(MxProbe p)
    {
        switch (p.Status)
        {
            case ProbeStatus.NoAddress:
                return new CheckItem("starttls", p.Host, "no address", Severity.Warning, $"Not probed: {p.Error}.");
            case ProbeStatus.Unreachable:
                return new CheckItem("starttls", p.Where, "not reached", Severity.Warning,
                    $"Not reached from here ({p.Error}); STARTTLS and the certificate were not checked.");
            case ProbeStatus.StartTlsNotOffered:
                return new CheckItem("starttls", p.Where, "not offered", Severity.Blocking, $"STARTTLS is not offered: {p.Error}.");
            case ProbeStatus.TlsFailed:
                return new CheckItem("starttls", p.Where, "handshake failed", Severity.Blocking, $"STARTTLS is offered but the TLS handshake failed: {p.Error}.");
        }

        var days = p.DaysUntilExpiry ?? 0;
        var value = days < 0 ? $"certificate expired {ReadinessEvaluator.Days(-days)} ago" : $"certificate expires in {ReadinessEvaluator.Days(days)}";
        return days < 0 ? new CheckItem("starttls", p.Where, value, Severity.Blocking, "The certificate has expired.")
            : !p.NameMatches ? new CheckItem("starttls", p.Where, value, Severity.Blocking, "The certificate does not name this MX host: " + p.Error)
            : !p.CertificateTrusted ? new CheckItem("starttls", p.Where, value, Severity.Blocking, "The certificate chain does not validate: " + p.Error)
            : days < rules.MinCertificateDaysLeft ? new CheckItem("starttls", p.Where, value, Severity.Warning, "The certificate expires soon.")
            : new CheckItem("starttls", p.Where, value, Severity.Info, "STARTTLS offered with a valid certificate for this name.");
    }

    /// <summary>A time allowed, as the findings write it ("3", "0.5").</summary>
    internal static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
}
