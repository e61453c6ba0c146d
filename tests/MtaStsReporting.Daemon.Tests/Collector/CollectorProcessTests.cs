using MtaStsReporting.Daemon.Tests.Support;
using MtaStsReporting.Testing;

namespace MtaStsReporting.Daemon.Tests.Collector;

/// <summary>What a stop and a crash do to datagrams, with the daemon as a process of its own.</summary>
public sealed class CollectorProcessTests
{
    private static readonly byte[] Failed = LibTlsRptDatagrams.Write("example.com", "v=TLSRPTv1; rua=mailto:tlsrpt@example.com",
        LibTlsRptDatagrams.Sts("example.com", true, new LibTlsRptFailure(204, "192.0.2.1", "mx1.example.com")));

    [Fact]
    public async Task Sigterm_commits_every_datagram_received_before_it_and_removes_the_socket()
    {
        using var dir = new TempDirectory();
        var socket = Path.Combine(dir.Path, "tlsrpt.sock");
        // No commit would come for a minute: only the stop commits.
        await using var daemon = await DaemonProcess.StartAsync(dir.Path, $"--Storage:DataDirectory={dir.Path}", $"--Collector:Socket={socket}", "--Collector:CommitInterval=1m");
        using (var sender = new DatagramSender(socket))
        {
            sender.Send(Failed, 500);
        }

        Assert.Equal(0, await daemon.TerminateAsync());

        Assert.Equal(500, await new StoreReader(Path.Combine(dir.Path, "mtasts-reporting.db")).TotalSessionsAsync());
        Assert.False(File.Exists(socket));
        Assert.Contains("Collector stopped: the socket is removed and drained, and every datagram read is committed (500 sessions since start)", daemon.Output);
    }

    [Fact]
    public async Task After_sigkill_the_stale_socket_is_replaced_and_nothing_committed_is_lost_or_counted_twice()
    {
        using var dir = new TempDirectory();
        var socket = Path.Combine(dir.Path, "tlsrpt.sock");
        var store = new StoreReader(Path.Combine(dir.Path, "mtasts-reporting.db"));
        string[] args = [$"--Storage:DataDirectory={dir.Path}", $"--Collector:Socket={socket}", "--Collector:CommitInterval=100ms"];
        await using (var first = await DaemonProcess.StartAsync(dir.Path, args))
        {
            using var sender = new DatagramSender(socket);
            sender.Send(Failed, 300);
            Assert.Equal(300, await DatagramSender.WaitForAsync(store.TotalSessionsAsync, n => n >= 300));
            await first.KillAsync();
        }

        Assert.True(File.Exists(socket), "SIGKILL leaves the socket file behind");
        await using (var second = await DaemonProcess.StartAsync(dir.Path, args))
        {
            using (var sender = new DatagramSender(socket))
            {
                sender.Send(Failed, 200);
            }

            Assert.Equal(0, await second.TerminateAsync());
        }

        Assert.Equal(500, await store.TotalSessionsAsync());
        var detail = Assert.Single(await store.FailuresAsync("example.com"));
        Assert.Equal(500, detail.FailedSessionCount);
    }
}
