using System.Net.Sockets;

namespace MtaStsReporting.Daemon.Collector;

/// <summary>Why the collector's socket could not be set up, in one line naming the path and the cause.</summary>
public sealed class CollectorSocketException(string message) : Exception(message);

/// <summary>
/// The collector's <c>AF_UNIX</c> <c>SOCK_DGRAM</c> socket: bound at the configured path (a
/// socket file left by a crash is replaced; one another process still reads is not), given its
/// mode and group, with a large receive buffer; the file is removed when it is disposed.
/// </summary>
public sealed class CollectorSocket : IDisposable
{
    private const int SolSocket = 1;
    private const int SoRcvBufForce = 33;

    private CollectorSocket(Socket socket, string path, int receiveBuffer)
    {
        Socket = socket;
        Path = path;
        ReceiveBufferBytes = receiveBuffer;
    }

    /// <summary>The bound socket.</summary>
    public Socket Socket { get; }

    /// <summary>Its path.</summary>
    public string Path { get; }

    /// <summary>The receive buffer the kernel granted (what <c>SO_RCVBUF</c> reads back).</summary>
    public int ReceiveBufferBytes { get; }

    /// <summary>
    /// <c>net.unix.max_dgram_qlen</c>: how many datagrams Linux queues on a unix datagram socket,
    /// whatever its buffer; read when the socket is created, so a change needs a restart. Null where unknown.
    /// </summary>
    public static int? MaxDatagramQueueLength()
    {
        try
        {
            return int.Parse(File.ReadAllText("/proc/sys/net/unix/max_dgram_qlen").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>Binds the socket as <paramref name="options"/> say.</summary>
    /// <exception cref="CollectorSocketException">The path is in use, not a socket, or cannot be written.</exception>
    public static CollectorSocket Bind(CollectorOptions options)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new CollectorSocketException("the collector reads libtlsrpt's unix datagram socket, which needs Linux");
        }

        var path = options.Socket!;
        var where = $"the collector socket {path}";
        var directory = System.IO.Path.GetDirectoryName(path)!;
        if (!Directory.Exists(directory))
        {
            throw new CollectorSocketException($"{where} cannot be created: the directory {directory} does not exist");
        }

        RemoveStale(path, where);
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new CollectorSocketException($"{where} cannot be bound: {ex.Message}");
        }

        try
        {
            File.SetUnixFileMode(path, options.FileMode);
            if (options.Group is { Length: > 0 } group && UnixFiles.SetGroup(path, group) is { } groupProblem)
            {
                throw new CollectorSocketException($"{where}: {groupProblem}");
            }

            return new CollectorSocket(socket, path, SetReceiveBuffer(socket, options.ReceiveBufferBytes));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CollectorSocketException)
        {
            socket.Dispose();
            File.Delete(path);
            throw ex as CollectorSocketException ?? new CollectorSocketException($"{where}: {ex.Message}");
        }
    }

    /// <summary>
    /// A socket file nobody reads (the daemon crashed) is removed; one that a live process
    /// reads is that process's, and anything else at the path is not ours to delete.
    /// </summary>
    private static void RemoveStale(string path, string where)
    {
        if (Directory.Exists(path))
        {
            throw new CollectorSocketException($"{where} cannot be created: a directory has that name");
        }

        if (!UnixFiles.IsSocket(path))
        {
            if (File.Exists(path))
            {
                throw new CollectorSocketException($"{where} cannot be created: a file that is not a socket has that name; remove it or choose another path");
            }

            return;
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            File.Delete(path);
            return;
        }
        catch (SocketException ex)
        {
            throw new CollectorSocketException($"{where} cannot be checked: {ex.Message}");
        }

        throw new CollectorSocketException($"{where} is in use: another process reads it (is another daemon or tlsrpt-collectd running?)");
    }

    private static int SetReceiveBuffer(Socket socket, int bytes)
    {
        // SO_RCVBUFFORCE passes net.core.rmem_max where the daemon may (CAP_NET_ADMIN); elsewhere
        // SO_RCVBUF gives what the limit allows. The kernel doubles what it grants for its own
        // bookkeeping, and reads back the doubled figure.
        try
        {
            socket.SetRawSocketOption(SolSocket, SoRcvBufForce, BitConverter.GetBytes(bytes));
        }
        catch (SocketException)
        {
            socket.ReceiveBufferSize = bytes;
        }

        return socket.ReceiveBufferSize;
    }

    /// <summary>Removes the socket file (senders then find no collector); the socket still reads what is queued.</summary>
    public void RemoveFile()
    {
        try
        {
            File.Delete(Path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Gone already, or its directory went away: nothing left to clean.
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Socket.Dispose();
        RemoveFile();
    }
}
