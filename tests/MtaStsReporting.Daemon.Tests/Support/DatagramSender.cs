using System.Net.Sockets;

namespace MtaStsReporting.Daemon.Tests.Support;

/// <summary>
/// Sends datagrams to a collector socket as an MTA does, but waiting when the socket's queue is
/// full (a blocking send), so that a test loses nothing to the kernel's short queue.
/// </summary>
public sealed class DatagramSender(string path) : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly UnixDomainSocketEndPoint _to = new(path);

    public void Send(byte[] datagram) => _socket.SendTo(datagram, _to);

    public void Send(byte[] datagram, int times)
    {
        for (var i = 0; i < times; i++)
        {
            Send(datagram);
        }
    }

    public void Dispose() => _socket.Dispose();

    /// <summary>Polls until <paramref name="done"/> holds, or fails after 20 s with what it last saw.</summary>
    public static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var until = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var value = await read();
            if (done(value) || DateTime.UtcNow > until)
            {
                return value;
            }

            await Task.Delay(25);
        }
    }
}
