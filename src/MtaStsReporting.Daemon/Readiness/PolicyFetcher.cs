using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MtaStsReporting.Daemon.Hosting;
using MtaStsReporting.Domain.MtaSts;

namespace MtaStsReporting.Daemon.Readiness;

/// <summary>A policy fetched and read, or why not (with the RFC 8460 result type a sender would report), and the policy host's certificate as seen.</summary>
public sealed record PolicyFetch(string Url, StsPolicy? Policy, string? Text, string? Error, string? ResultType, CertificateVerdict? Certificate, string? MediaType = null);

/// <summary>
/// Fetches <c>https://mta-sts.&lt;domain&gt;/.well-known/mta-sts.txt</c> as RFC 8461 §3.3 says: the
/// certificate valid for that name, no redirects, 200 only, a size cap. <c>Check:PolicyTimeout</c>
/// bounds the whole fetch (connection, headers and body), so a host that trickles bytes cannot
/// hold the check; TLS sessions are never resumed, so the certificate judged is the one served now.
/// </summary>
public sealed class PolicyFetcher(DnsLookup dns, CheckOptions options, CertificateChecker certificates)
{
    private const string FetchError = "sts-policy-fetch-error";
    private const string Invalid = "sts-policy-invalid";

    public async Task<PolicyFetch> FetchAsync(string domain, CancellationToken cancellationToken)
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
                AllowTlsResume = false,
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                {
                    verdict = certificates.Judge(certificate, chain, errors);
                    return verdict.Trusted && verdict.NameMatches;
                },
            },
        };
        using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.PolicyTimeout);
        var seconds = LiveChecker.Seconds(options.PolicyTimeout);
        var headersRead = false;
        var received = 0;
        try
        {
            using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            headersRead = true;
            if (response.StatusCode != HttpStatusCode.OK)
            {
                var where = response.Headers.Location is { } location ? $" to {location}" : string.Empty;
                return Fail($"HTTP {(int)response.StatusCode}{where}: only 200 counts, and redirects are not followed (RFC 8461 §3.3)", FetchError);
            }

            var mediaType = response.Content.Headers.ContentType?.MediaType;
            await using var stream = await response.Content.ReadAsStreamAsync(deadline.Token);
            var buffer = new byte[StsPolicy.MaxTextBytes + 1];
            int read;
            while (received < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(received), deadline.Token)) > 0)
            {
                received += read;
            }

            if (received > StsPolicy.MaxTextBytes)
            {
                return Fail($"the policy is larger than {StsPolicy.MaxTextBytes} bytes", Invalid);
            }

            var body = System.Text.Encoding.UTF8.GetString(buffer, 0, received);
            var parsed = StsPolicy.Parse(body);
            return parsed.IsValid
                ? new PolicyFetch(url, parsed.Policy, body, null, null, verdict, mediaType)
                : Fail("the policy is invalid: " + parsed.Error, Invalid);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Fail(headersRead
                ? $"the policy host sent its headers but only {received} bytes of the body within {seconds} s (Check:PolicyTimeout); senders give up on such a host"
                : $"no response from the policy host within {seconds} s (Check:PolicyTimeout)", FetchError);
        }
        catch (HttpRequestException) when (verdict is { } v && (!v.Trusted || !v.NameMatches))
        {
            return Fail($"the certificate of {host} is not valid for it: {v.Problem}", "sts-webpki-invalid");
        }
        catch (Exception ex) when (ex is HttpRequestException or SocketException or IOException or PolicyHostUnreachableException)
        {
            return Fail($"the policy could not be fetched: {ExceptionText.Innermost(ex)}", FetchError);
        }

        PolicyFetch Fail(string error, string resultType) => new(url, null, null, error, resultType, verdict);
    }

    private async ValueTask<Stream> ConnectAsync(string host, int port, CancellationToken cancellationToken)
    {
        var addresses = await dns.AddressesAsync(host, cancellationToken);
        if (addresses.Records.Count == 0)
        {
            throw new PolicyHostUnreachableException(addresses.Describe());
        }

        SocketException? last = null;
        foreach (var address in addresses.Records)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
        }

        throw new PolicyHostUnreachableException($"{host} port {port}: {ExceptionText.Describe(last!)}");
    }

    private sealed class PolicyHostUnreachableException(string message) : IOException(message);
}
