using System.Net;
using System.Net.Sockets;

namespace MtaStsReporting.Daemon.Tests.Support;

/// <summary>
/// An upstream name server for dnsmasq to forward a zone to, answering every question with one
/// response code (SERVFAIL, REFUSED) and no records, as a broken or unwilling server does; or,
/// with <c>null</c>, never answering at all. dnsmasq then does what it does with such upstreams.
/// </summary>
public sealed class RcodeUpstream : IDisposable
{
    private readonly UdpClient _udp = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly CancellationTokenSource _stop = new();

    /// <param name="rcode">The RFC 1035 §4.1.1 RCODE to answer with (2 SERVFAIL, 5 REFUSED), or null to stay silent.</param>
    public RcodeUpstream(int? rcode)
    {
        _ = ServeAsync(rcode);
    }

    public int Port => ((IPEndPoint)_udp.Client.LocalEndPoint!).Port;

    private async Task ServeAsync(int? rcode)
    {
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult query;
            try
            {
                query = await _udp.ReceiveAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            if (rcode is null || query.Buffer.Length < 12)
            {
                continue;
            }

            // The question echoed back with QR and RA set and the RCODE: a header-only answer.
            var answer = (byte[])query.Buffer.Clone();
            answer[2] = (byte)(answer[2] | 0x80);
            answer[3] = (byte)(0x80 | rcode.Value);
            await _udp.SendAsync(answer, query.RemoteEndPoint);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _udp.Dispose();
    }
}
