namespace MtaStsReporting.Daemon.Hosting;

/// <summary>The words of an exception that an admin can act on.</summary>
public static class ExceptionText
{
    /// <summary>The innermost exception's message: the cause ("Connection refused"), not the wrappers around it ("An error occurred while sending the request").</summary>
    public static string Innermost(Exception ex)
    {
        while (ex.InnerException is not null)
        {
            ex = ex.InnerException;
        }

        return ex.Message;
    }

    /// <summary>A connection failure in words: refused, timed out, unreachable.</summary>
    public static string Describe(System.Net.Sockets.SocketException ex) => ex.SocketErrorCode switch
    {
        System.Net.Sockets.SocketError.ConnectionRefused => "connection refused",
        System.Net.Sockets.SocketError.TimedOut => "connection timed out",
        System.Net.Sockets.SocketError.NetworkUnreachable => "network unreachable",
        System.Net.Sockets.SocketError.HostUnreachable => "host unreachable",
        _ => ex.Message,
    };
}
