using System.Net;
using System.Net.Sockets;

namespace MtaStsReporting.Daemon.Tests.Support;

/// <summary>
/// An HTTPS client that asks for <c>https://HOST:PORT</c> (the name sent by SNI and in Host) but
/// connects to 127.0.0.1, as curl's <c>--resolve</c> does; certificates are not judged here, and
/// redirects are not followed (the policy listener must never send one).
/// </summary>
public static class PinnedHttp
{
    public static HttpClient To(string host, int port) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (_, cancellationToken) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        },
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        AllowAutoRedirect = false,
    })
    { BaseAddress = new Uri($"https://{host}:{port}") };
}
