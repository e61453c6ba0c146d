using System.Net;
using System.Net.Sockets;

namespace MtaStsReporting.Daemon.Tests.Support;

/// <summary>Ports on 127.0.0.1 for the servers the tests start.</summary>
public static class Loopback
{
    /// <summary>A port nobody listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>True once something accepts TCP connections on the port, false after the timeout.</summary>
    public static async Task<bool> WaitForListenerAsync(int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return true;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        return false;
    }
}
