using System.Net.Http.Headers;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using MimeKit.Cryptography;
using MtaStsReporting.Daemon.Hosting;
using MtaStsReporting.Daemon.Ingestion.Imap;
using MtaStsReporting.Domain.TlsRpt.Outbound;

namespace MtaStsReporting.Daemon.Outbound;

/// <summary>Delivers one report to one destination and says what the other side answered.</summary>
public interface IReportTransport
{
    /// <summary>Sends; never throws for what the network or the server did, only when cancelled.</summary>
    Task<DeliveryAnswer> SendAsync(OutboundReport report, Uri destination, CancellationToken cancellationToken);
}

/// <summary>The transport for a destination's scheme: mailto: or https: (RFC 8460 §3).</summary>
public sealed class ReportTransports(MailtoTransport mail, HttpsTransport https) : IReportTransport
{
    /// <inheritdoc />
    public Task<DeliveryAnswer> SendAsync(OutboundReport report, Uri destination, CancellationToken cancellationToken) => destination.Scheme switch
    {
        "mailto" => mail.SendAsync(report, destination, cancellationToken),
        "https" => https.SendAsync(report, destination, cancellationToken),
        _ => Task.FromResult(new DeliveryAnswer(DeliveryOutcome.Permanent, $"'{destination.Scheme}:' is not a scheme RFC 8460 delivers to")),
    };
}

/// <summary>
/// <c>mailto:</c> through the configured SMTP server (MailKit): the signed report message, one
/// attempt per connection. The server's answer decides: 2xx delivered (the server has it and
/// delivers it on), 4xx temporary, 5xx permanent. A server that cannot be reached, refuses our
/// login or fails TLS is a temporary failure: it is our side that is broken, not the destination.
/// </summary>
public sealed class MailtoTransport(OutboundOptions options, TimeProvider time)
{
    private readonly DkimSigner? _signer = options.Mail.DkimKeyFile is { } key && options.Mail.DkimSelector is { } selector
        ? ReportMessage.Signer(key, options.Mail.DkimDomain ?? options.SubmitterDomain, selector)
        : null;

    private readonly MailboxTrust _trust = new(options.Mail.TrustedCaFile, options.Mail.RevocationCheck);

    /// <summary>The addresses of a mailto: URI (RFC 6068: several, comma-separated; query ignored).</summary>
    public static IReadOnlyList<MailboxAddress> Recipients(Uri mailto)
    {
        var text = mailto.OriginalString["mailto:".Length..];
        var query = text.IndexOf('?', StringComparison.Ordinal);
        var addresses = new List<MailboxAddress>();
        foreach (var part in (query < 0 ? text : text[..query]).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (MailboxAddress.TryParse(Uri.UnescapeDataString(part), out var address) && address.Address.Contains('@', StringComparison.Ordinal))
            {
                addresses.Add(address);
            }
        }

        return addresses;
    }

    /// <inheritdoc cref="IReportTransport.SendAsync"/>
    public async Task<DeliveryAnswer> SendAsync(OutboundReport report, Uri destination, CancellationToken cancellationToken)
    {
        var to = Recipients(destination);
        if (to.Count == 0)
        {
            return new DeliveryAnswer(DeliveryOutcome.Permanent, $"'{destination}' names no mail address");
        }

        var mail = options.Mail;
        var from = MailboxAddress.Parse(mail.From ?? "tlsrpt-noreply@" + options.SubmitterDomain);
        var message = ReportMessage.Create(report, options.Submitter, from, to, time.GetUtcNow(), _signer);
        using var client = new SmtpClient { Timeout = (int)options.AttemptTimeout.TotalMilliseconds };
        client.CheckCertificateRevocation = mail.RevocationCheck != RevocationCheck.Off;
        client.ServerCertificateValidationCallback = _trust.Validate;
        var where = $"{mail.Host}:{mail.EffectivePort}";
        try
        {
            var security = mail.Tls switch
            {
                MailboxTls.Implicit => SecureSocketOptions.SslOnConnect,
                MailboxTls.StartTls => SecureSocketOptions.StartTls,
                _ => SecureSocketOptions.None,
            };
            await client.ConnectAsync(mail.Host, mail.EffectivePort, security, cancellationToken);
            if (mail.User is { Length: > 0 } user)
            {
                var password = (await File.ReadAllLinesAsync(mail.PasswordFile!, cancellationToken)).FirstOrDefault() ?? "";
                await client.AuthenticateAsync(new System.Net.NetworkCredential(user, password), cancellationToken);
            }

            var answer = await client.SendAsync(message, cancellationToken);
            await client.DisconnectAsync(quit: true, CancellationToken.None);
            return DeliveryAnswer.FromSmtp(250, answer);
        }
        catch (SmtpCommandException ex)
        {
            return DeliveryAnswer.FromSmtp((int)ex.StatusCode, $"{ex.Message} ({where}, {ex.ErrorCode})");
        }
        catch (MailKit.Security.AuthenticationException ex)
        {
            return DeliveryAnswer.Unreachable($"the SMTP server {where} refused our login: {ex.Message}");
        }
        catch (SslHandshakeException ex)
        {
            return DeliveryAnswer.Unreachable($"TLS with the SMTP server {where} failed: {_trust.LastProblem ?? ExceptionText.Innermost(ex)}");
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or SmtpProtocolException or ServiceNotConnectedException
                                       || (ex is OperationCanceledException or TimeoutException && !cancellationToken.IsCancellationRequested))
        {
            return DeliveryAnswer.Unreachable($"the SMTP server {where}: {ExceptionText.Innermost(ex)}");
        }
    }
}

/// <summary>
/// <c>https:</c> by POST of the gzip report (§5.4): any 2xx delivered; 5xx, 408 and 429
/// temporary; other answers permanent. Redirects are not followed (the RFC names the URI).
/// </summary>
public sealed class HttpsTransport : IDisposable
{
    private readonly HttpClient _client;

    /// <summary>A client trusting the system's roots and <see cref="OutboundOptions.HttpsTrustedCaFile"/>.</summary>
    public HttpsTransport(OutboundOptions options)
    {
        var trust = new MailboxTrust(options.HttpsTrustedCaFile, RevocationCheck.BestEffort);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            SslOptions = { RemoteCertificateValidationCallback = trust.Validate },
        };
        _client = new HttpClient(handler) { Timeout = options.AttemptTimeout };
        _client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("mtasts-reporting", "1"));
        Trust = trust;
    }

    private MailboxTrust Trust { get; }

    /// <inheritdoc cref="IReportTransport.SendAsync"/>
    public async Task<DeliveryAnswer> SendAsync(OutboundReport report, Uri destination, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(ReportMessage.Gzip(report.Json));
        content.Headers.ContentType = new MediaTypeHeaderValue(ReportMessage.GzipMediaType);
        try
        {
            using var response = await _client.PostAsync(destination, content, cancellationToken);
            return DeliveryAnswer.FromHttp((int)response.StatusCode, response.ReasonPhrase ?? "");
        }
        catch (HttpRequestException ex)
        {
            var why = ex.InnerException is System.Security.Authentication.AuthenticationException && Trust.LastProblem is { } problem ? "TLS: " + problem : ExceptionText.Innermost(ex);
            return DeliveryAnswer.Unreachable($"{destination.Host}: {why}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return DeliveryAnswer.Unreachable($"{destination.Host}: no answer within {_client.Timeout.TotalSeconds:0} s");
        }
    }

    /// <inheritdoc />
    public void Dispose() => _client.Dispose();
}
