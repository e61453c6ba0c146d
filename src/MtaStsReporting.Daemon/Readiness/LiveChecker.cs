using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DnsClient;
using MailKit.Net.Smtp;
using MailKit.Security;
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
/// _smtp._tls records and the MX records (DnsClient), the policy fetched exactly as RFC 8461
/// §3.3 says (HTTPS to mta-sts.&lt;domain&gt;, certificate valid for that name, no redirects,
/// 200 only, size cap, timeout), each MX matched against the policy, and a STARTTLS probe of
/// each MX (MailKit). Host names are resolved with the same DNS servers as the records.
/// </summary>
public sealed class LiveChecker(ILookupClient dns, CheckOptions options, CertificateChecker certificates, TimeProvider time)
{
    /// <summary>Runs every check; never throws for what the domain does wrong.</summary>
    public async Task<DomainCheck> CheckAsync(DomainName domain, CancellationToken cancellationToken)
    {
        var items = new List<CheckItem>();
        var d = domain.Value;

        var stsTxt = await TxtAsync($"_mta-sts.{d}", cancellationToken);
        var record = StsRecord.Parse(stsTxt);
        items.Add(record.Record is { } r
            ? new CheckItem("sts-record", $"_mta-sts.{d}", "id=" + r.Id, Severity.Info, "One v=STSv1 record with a valid id.")
            : new CheckItem("sts-record", $"_mta-sts.{d}", string.Join(" | ", stsTxt), Severity.Blocking, record.Error!));

        var rptTxt = await TxtAsync($"_smtp._tls.{d}", cancellationToken);
        var rpt = TlsRptRecord.Parse(rptTxt);
        var rua = rpt.Record?.Rua.Select(u => u.OriginalString).ToList() ?? [];
        items.Add(rpt.Record is not null
            ? new CheckItem("tlsrpt-record", $"_smtp._tls.{d}", string.Join(",", rua), Severity.Info, "Reports are requested.")
            : new CheckItem("tlsrpt-record", $"_smtp._tls.{d}", string.Join(" | ", rptTxt), Severity.Warning, rpt.Error + ": without TLS-RPT there is no evidence to decide on."));

        var mx = await MxAsync(d, cancellationToken);
        items.Add(new CheckItem("mx", d, string.Join(",", mx), mx.Count == 0 ? Severity.Blocking : Severity.Info,
            mx.Count == 0 ? "No MX records." : $"MX hosts: {mx.Count}."));

        var (policy, text, policyError) = await FetchPolicyAsync(d, items, cancellationToken);
        var probes = new List<MxProbe>();
        foreach (var host in mx)
        {
            if (policy is not null)
            {
                var name = DomainName.Parse(host);
                var pattern = policy.Mx.FirstOrDefault(p => p.Matches(name));
                items.Add(pattern.Value is not null
                    ? new CheckItem("mx-match", host, pattern.Value, Severity.Info, $"Covered by mx: {pattern.Value}.")
                    : new CheckItem("mx-match", host, string.Empty, Severity.Blocking, "No mx line of the policy matches this MX host."));
            }

            var probe = await ProbeAsync(host, cancellationToken);
            probes.Add(probe);
            items.Add(ProbeItem(probe));
        }

        return new DomainCheck(d, items, new LiveFindings(record.Record, record.Error, policy, policyError, mx, probes), text, rua);
    }

    private async Task<(StsPolicy? Policy, string? Text, string? Error)> FetchPolicyAsync(string domain, List<CheckItem> items, CancellationToken cancellationToken)
    {
        var host = "mta-sts." + domain;
        var url = options.PolicyPort == 443
            ? $"https://{host}/.well-known/mta-sts.txt"
            : $"https://{host}:{options.PolicyPort.ToString(CultureInfo.InvariantCulture)}/.well-known/mta-sts.txt";
        CertificateVerdict? verdict = null;
        using var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false, // §3.3: redirects are not followed
            UseProxy = false,
            ConnectCallback = (context, ct) => ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, ct),
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                {
                    verdict = certificates.Judge(certificate, chain, errors);
                    return verdict.Trusted && verdict.NameMatches;
                },
            },
        };
        using var client = new HttpClient(handler) { Timeout = options.PolicyTimeout };
        try
        {
            using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                var where = response.Headers.Location is { } location ? $" to {location}" : string.Empty;
                return Fail($"HTTP {(int)response.StatusCode}{where}: only 200 counts, and redirects are not followed (RFC 8461 §3.3)");
            }

            if (response.Content.Headers.ContentType?.MediaType is { } type && type != "text/plain")
            {
                items.Add(new CheckItem("policy-media-type", url, type, Severity.Warning, "The policy should be served as text/plain (RFC 8461 §3.2)."));
            }

            var body = await ReadCappedAsync(response.Content, StsPolicy.MaxTextBytes, cancellationToken);
            if (body is null)
            {
                return Fail($"the policy is larger than {StsPolicy.MaxTextBytes} bytes");
            }

            var parsed = StsPolicy.Parse(body);
            if (!parsed.IsValid)
            {
                return Fail("the policy is invalid: " + parsed.Error);
            }

            var p = parsed.Policy;
            items.Add(new CheckItem("policy", url, $"mode={p.Mode.ToRfcName()} max_age={p.MaxAge} mx={string.Join(",", p.Mx)}", Severity.Info,
                $"Fetched and valid; certificate {verdict?.Subject}, valid until {verdict?.NotAfter:yyyy-MM-dd}."));
            if (p.MaxAge < 86400)
            {
                items.Add(new CheckItem("policy-max-age", url, p.MaxAge.ToString(CultureInfo.InvariantCulture), Severity.Warning,
                    "max_age under a day: senders refetch often, and a policy host outage soon lets attackers downgrade."));
            }

            return (p, body, null);
        }
        catch (HttpRequestException ex) when (verdict is { } v && (!v.Trusted || !v.NameMatches))
        {
            _ = ex;
            return Fail($"the certificate of {host} is not valid for it (sts-webpki-invalid): {v.Problem}");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or SocketException or IOException)
        {
            return Fail($"the policy could not be fetched (sts-policy-fetch-error): {Innermost(ex)}");
        }

        (StsPolicy?, string?, string?) Fail(string error)
        {
            items.Add(new CheckItem("policy", url, string.Empty, Severity.Blocking, error));
            return (null, null, error);
        }
    }

    private async Task<MxProbe> ProbeAsync(string host, CancellationToken cancellationToken)
    {
        CertificateVerdict? verdict = null;
        using var smtp = new SmtpClient
        {
            Timeout = (int)options.SmtpTimeout.TotalMilliseconds,
            LocalDomain = "mtasts-reporting.invalid",
            // Accept so that the handshake completes; the verdict is judged and reported apart.
            ServerCertificateValidationCallback = (_, certificate, chain, errors) =>
            {
                verdict = certificates.Judge(certificate, chain, errors);
                return true;
            },
        };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.SmtpTimeout);
            var socket = await ConnectSocketAsync(host, options.SmtpPort, timeout.Token);
            await smtp.ConnectAsync(socket, host, options.SmtpPort, SecureSocketOptions.StartTls, timeout.Token);
            await smtp.DisconnectAsync(true, timeout.Token);
        }
        catch (NotSupportedException ex)
        {
            return new MxProbe(host, false, false, false, null, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or SocketException or SmtpProtocolException or SmtpCommandException or SslHandshakeException or OperationCanceledException or InvalidOperationException)
        {
            return verdict is null
                ? new MxProbe(host, false, false, false, null, "unreachable or no TLS: " + Innermost(ex))
                : Probe(host, verdict, Innermost(ex));
        }

        return verdict is null ? new MxProbe(host, false, false, false, null, "no certificate seen") : Probe(host, verdict, null);
    }

    private MxProbe Probe(string host, CertificateVerdict verdict, string? error) =>
        new(host, true, verdict.Trusted, verdict.NameMatches, (int)Math.Floor((verdict.NotAfter - time.GetUtcNow()).TotalDays), error ?? verdict.Problem);

    private static CheckItem ProbeItem(MxProbe p)
    {
        if (!p.StartTls)
        {
            return new CheckItem("starttls", p.Host, "not offered", Severity.Blocking, p.Error ?? "STARTTLS is not offered.");
        }

        var value = $"certificate expires in {p.DaysUntilExpiry} days";
        return p.DaysUntilExpiry < 0 ? new CheckItem("starttls", p.Host, value, Severity.Blocking, "The certificate has expired.")
            : !p.NameMatches ? new CheckItem("starttls", p.Host, value, Severity.Blocking, "The certificate does not name this MX host: " + p.Error)
            : !p.CertificateTrusted ? new CheckItem("starttls", p.Host, value, Severity.Blocking, "The certificate chain does not validate: " + p.Error)
            : p.DaysUntilExpiry < 14 ? new CheckItem("starttls", p.Host, value, Severity.Warning, "The certificate expires soon.")
            : new CheckItem("starttls", p.Host, value, Severity.Info, "STARTTLS offered with a valid certificate for this name.");
    }

    private async Task<List<string>> TxtAsync(string name, CancellationToken cancellationToken)
    {
        var response = await dns.QueryAsync(name, QueryType.TXT, cancellationToken: cancellationToken);
        // A TXT record split into several strings is one value (RFC 7208 §3.3 style joining).
        return response.Answers.TxtRecords().Select(r => string.Concat(r.Text)).ToList();
    }

    private async Task<List<string>> MxAsync(string domain, CancellationToken cancellationToken)
    {
        var response = await dns.QueryAsync(domain, QueryType.MX, cancellationToken: cancellationToken);
        return response.Answers.MxRecords().OrderBy(m => m.Preference).Select(m => m.Exchange.Value.TrimEnd('.').ToLowerInvariant()).Distinct().ToList();
    }

    private async ValueTask<Stream> ConnectAsync(string host, int port, CancellationToken cancellationToken) =>
        new NetworkStream(await ConnectSocketAsync(host, port, cancellationToken), ownsSocket: true);

    /// <summary>Resolves with the configured DNS (A, then AAAA) and connects to the first address that answers.</summary>
    private async Task<Socket> ConnectSocketAsync(string host, int port, CancellationToken cancellationToken)
    {
        var addresses = (await dns.QueryAsync(host, QueryType.A, cancellationToken: cancellationToken)).Answers.ARecords().Select(a => a.Address)
            .Concat((await dns.QueryAsync(host, QueryType.AAAA, cancellationToken: cancellationToken)).Answers.AaaaRecords().Select(a => a.Address)).ToList();
        if (addresses.Count == 0)
        {
            throw new SocketException((int)SocketError.HostNotFound);
        }

        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken);
                return socket;
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
        }

        throw last!;
    }

    private static async Task<string?> ReadCappedAsync(HttpContent content, int cap, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[cap + 1];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken)) > 0)
        {
            total += read;
        }

        return total > cap ? null : System.Text.Encoding.UTF8.GetString(buffer, 0, total);
    }

    private static string Innermost(Exception ex)
    {
        while (ex.InnerException is not null)
        {
            ex = ex.InnerException;
        }

        return ex.Message;
    }
}
