using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using MailKit.Net.Smtp;
using MailKit.Security;
using MtaStsReporting.Daemon.Hosting;
using MtaStsReporting.Domain.Readiness;

namespace MtaStsReporting.Daemon.Readiness;

/// <summary>
/// Probes an MX host as a sending MTA would: every address it has (senders use them all, up to
/// <c>Check:MaxMxAddresses</c>), SMTP then STARTTLS (MailKit), each probe bounded by
/// <c>Check:SmtpTimeout</c>. TLS sessions are never resumed: a resumed session would show the
/// certificate remembered from an earlier probe, not the one the address serves now.
/// </summary>
public sealed class MxProber(DnsLookup dns, CheckOptions options, CertificateChecker certificates, TimeProvider time)
{
    /// <summary>One probe per address of <paramref name="host"/>, or one saying it has none.</summary>
    public async Task<IReadOnlyList<MxProbe>> ProbeAsync(string host, CancellationToken cancellationToken)
    {
        var addresses = await dns.AddressesAsync(host, cancellationToken);
        if (addresses.Records.Count == 0)
        {
            return [new MxProbe(host, null, ProbeStatus.NoAddress, false, false, null, addresses.Describe())];
        }

        var probes = addresses.Records.Distinct().Take(options.MaxMxAddresses).Select(a => ProbeAddressAsync(host, a, cancellationToken));
        return await Task.WhenAll(probes);
    }

    private async Task<MxProbe> ProbeAddressAsync(string host, IPAddress address, CancellationToken cancellationToken)
    {
        var where = address.ToString();
        var seconds = LiveChecker.Seconds(options.SmtpTimeout);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.SmtpTimeout);
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, options.SmtpPort), timeout.Token);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            return Failed(ProbeStatus.Unreachable, $"port {options.SmtpPort}: {ExceptionText.Describe(ex)}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            return Failed(ProbeStatus.Unreachable, $"no connection to port {options.SmtpPort} within {seconds} s");
        }

        CertificateVerdict? verdict = null;
        using var smtp = new ProbeClient
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
            await smtp.ConnectAsync(socket, host, options.SmtpPort, SecureSocketOptions.StartTls, timeout.Token);
            await smtp.DisconnectAsync(true, timeout.Token);
        }
        catch (NotSupportedException)
        {
            // MailKit's word for a server that does not offer STARTTLS when it is required.
            return Failed(ProbeStatus.StartTlsNotOffered, "its EHLO answer does not offer STARTTLS");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return verdict is null
                ? Failed(ProbeStatus.Unreachable, $"the SMTP session did not reach STARTTLS within {seconds} s")
                : Secured(verdict, null);
        }
        catch (SslHandshakeException ex)
        {
            return verdict is null ? Failed(ProbeStatus.TlsFailed, ExceptionText.Innermost(ex)) : Secured(verdict, ExceptionText.Innermost(ex));
        }
        catch (Exception ex) when (ex is IOException or SocketException or SmtpProtocolException or SmtpCommandException or InvalidOperationException)
        {
            return verdict is null
                ? Failed(ProbeStatus.Unreachable, "the SMTP session failed: " + ExceptionText.Innermost(ex))
                : Secured(verdict, null);
        }
        finally
        {
            socket.Dispose();
        }

        return verdict is null ? Failed(ProbeStatus.TlsFailed, "no certificate was presented") : Secured(verdict, null);

        MxProbe Failed(ProbeStatus status, string error) => new(host, where, status, false, false, null, error);

        MxProbe Secured(CertificateVerdict v, string? error) =>
            new(host, where, ProbeStatus.Secured, v.Trusted, v.NameMatches, DaysLeft(v), error ?? v.Problem);
    }

    /// <summary>Whole days until the certificate expires, at the check's clock; negative once expired.</summary>
    public int DaysLeft(CertificateVerdict verdict) => (int)Math.Floor((verdict.NotAfter - time.GetUtcNow()).TotalDays);

    /// <summary>An SMTP client that never resumes a TLS session.</summary>
    private sealed class ProbeClient : SmtpClient
    {
        protected override SslClientAuthenticationOptions GetSslClientAuthenticationOptions(string host, RemoteCertificateValidationCallback remoteCertificateValidationCallback)
        {
            var ssl = base.GetSslClientAuthenticationOptions(host, remoteCertificateValidationCallback);
            ssl.AllowTlsResume = false;
            return ssl;
        }
    }
}
