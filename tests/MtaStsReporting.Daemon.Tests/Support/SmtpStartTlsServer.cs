using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace MtaStsReporting.Daemon.Tests.Support;

/// <summary>
/// A small ESMTP responder (RFC 5321 greeting and EHLO, RFC 3207 STARTTLS) on one port of
/// several loopback addresses. On <c>127.0.0.1</c> it offers STARTTLS and picks the
/// certificate by SNI, as a multi-name MX does; on <c>127.0.0.2</c> it does not offer
/// STARTTLS. Enough for a real MailKit client to probe against; not a mail server.
/// </summary>
public sealed class SmtpStartTlsServer : IDisposable
{
    private readonly List<TcpListener> _listeners = [];
    private readonly CancellationTokenSource _stop = new();

    /// <param name="certificates">Per SNI name, the certificate 127.0.0.1 presents.</param>
    /// <param name="otherAddresses">More loopback addresses offering STARTTLS with certificates of their own (an MX name whose addresses differ).</param>
    public SmtpStartTlsServer(IReadOnlyDictionary<string, X509Certificate2> certificates, IReadOnlyDictionary<string, IReadOnlyDictionary<string, X509Certificate2>>? otherAddresses = null)
    {
        Port = Loopback.FreePort();
        var listeners = new List<(string, bool, IReadOnlyDictionary<string, X509Certificate2>)> { ("127.0.0.1", true, certificates), ("127.0.0.2", false, certificates) };
        listeners.AddRange((otherAddresses ?? new Dictionary<string, IReadOnlyDictionary<string, X509Certificate2>>()).Select(a => (a.Key, true, a.Value)));
        foreach (var (address, tls, certs) in listeners)
        {
            var listener = new TcpListener(IPAddress.Parse(address), Port);
            listener.Start();
            _listeners.Add(listener);
            _ = AcceptAsync(listener, tls, certs);
        }
    }

    public int Port { get; }

    private async Task AcceptAsync(TcpListener listener, bool offerStartTls, IReadOnlyDictionary<string, X509Certificate2> certificates)
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = ServeAsync(client, offerStartTls, certificates);
        }
    }

    private static async Task ServeAsync(TcpClient client, bool offerStartTls, IReadOnlyDictionary<string, X509Certificate2> certificates)
    {
        using (client)
        {
            try
            {
                Stream stream = client.GetStream();
                var reader = new StreamReader(stream, Encoding.ASCII);
                await Write(stream, "220 mx.test ESMTP ready");
                var secured = false;
                while (await reader.ReadLineAsync() is { } line)
                {
                    var verb = line.Split(' ')[0].ToUpperInvariant();
                    switch (verb)
                    {
                        case "EHLO":
                            await Write(stream, offerStartTls && !secured ? "250-mx.test\r\n250-PIPELINING\r\n250 STARTTLS" : "250-mx.test\r\n250 PIPELINING");
                            break;
                        case "STARTTLS" when offerStartTls && !secured:
                            await Write(stream, "220 Go ahead");
                            var tls = new SslStream(stream, false);
                            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                            {
                                ServerCertificateSelectionCallback = (_, name) => name is not null && certificates.TryGetValue(name, out var c) ? c : certificates.Values.First(),
                            });
                            stream = tls;
                            reader = new StreamReader(stream, Encoding.ASCII);
                            secured = true;
                            break;
                        case "QUIT":
                            await Write(stream, "221 Bye");
                            return;
                        default:
                            await Write(stream, "502 Not implemented");
                            break;
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
            {
                // The client gave up (a probe that rejected the certificate): nothing to do.
            }
        }
    }

    private static Task Write(Stream stream, string reply) => stream.WriteAsync(Encoding.ASCII.GetBytes(reply + "\r\n")).AsTask();

    public void Dispose()
    {
        _stop.Cancel();
        foreach (var l in _listeners)
        {
            l.Stop();
        }
    }
}
