using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Tests.Support;
using MtaStsReporting.Testing;
using Microsoft.EntityFrameworkCore;
using static MtaStsReporting.Daemon.Tests.Support.Outcomes;

namespace MtaStsReporting.Daemon.Tests.Collector;

/// <summary>
/// The collector as Postfix meets it: libtlsrpt's bytes over a real unix datagram socket into
/// the daemon, read back through the Query API.
/// </summary>
public sealed class DatagramCollectorTests
{
    private static readonly Day Today = new(InProcessDaemon.DefaultNow);

    private static async Task<(InProcessDaemon Daemon, string Socket, TempDirectory Dir)> StartAsync(params string[] extra)
    {
        var dir = new TempDirectory();
        var socket = Path.Combine(dir.Path, "tlsrpt.sock");
        var daemon = await InProcessDaemon.StartAsync([$"--Collector:Socket={socket}", "--Collector:CommitInterval=50ms", .. extra]);
        return (daemon, socket, dir);
    }

    [Fact]
    public async Task Every_field_of_a_datagram_lands_where_the_query_api_shows_it()
    {
        var (daemon, socket, dir) = await StartAsync();
        using var __ = dir;
        await using var _ = daemon;
        using (var sender = new DatagramSender(socket))
        {
            sender.Send(System.Text.Encoding.UTF8.GetBytes(LibTlsRptDatagrams.Captured), 3);
            sender.Send(LibTlsRptDatagrams.Write("example.com", "v=TLSRPTv1; rua=mailto:tlsrpt@example.com",
                LibTlsRptDatagrams.Sts("example.com"), LibTlsRptDatagrams.Sts("example.com")), 2);
        }

        await DatagramSender.WaitForAsync(() => daemon.Store.TotalSessionsAsync(), n => n == 7);
        var queries = new Query.QueryClient(daemon.Channel);
        var range = new DayRange { StartDay = Today.Text, EndDay = Today.Text };
        var summary = await queries.GetDomainSummaryAsync(new DomainRequest { Domain = "example.com", Range = range, Direction = Direction.Outbound });
        var totals = Assert.Single(summary.Totals);
        Assert.Equal((7L, 3L), (totals.Sessions, totals.Failures));
        var policy = Assert.Single(summary.Policies);
        Assert.Equal(("sts", "testing"), (policy.PolicyType, policy.Mode));
        Assert.Equal(["version: STSv1", "mode: testing", "mx: *.example.com", "max_age: 86400"], policy.PolicyString);
        Assert.Equal(["*.example.com"], policy.MxHost);

        async Task<(string, long)> Top(BreakdownRequest.Types.Dimension dimension)
        {
            var rows = await queries.GetFailureBreakdownAsync(new BreakdownRequest { Domain = "example.com", Range = range, Direction = Direction.Outbound, Dimension = dimension });
            var row = Assert.Single(rows.Rows);
            return (row.Key, row.Failures);
        }

        Assert.Equal(("certificate-expired", 3L), await Top(BreakdownRequest.Types.Dimension.ResultType));
        Assert.Equal(("mx1.example.com", 3L), await Top(BreakdownRequest.Types.Dimension.ReceivingMx));
        Assert.Equal(("192.0.2.1", 3L), await Top(BreakdownRequest.Types.Dimension.SendingMtaIp));

        var detail = Assert.Single(await daemon.Store.FailuresAsync("example.com"));
        Assert.Equal(("mx1.example.com", "198.51.100.7", "cert \"expired\"", 3L),
            (detail.ReceivingMxHelo, detail.ReceivingIp, detail.FailureReasonCode, detail.FailedSessionCount));
        await using var db = daemon.Store.Open();
        var record = Assert.Single(await db.TlsRptRecordDays.AsNoTracking().ToListAsync());
        Assert.Equal((Today.Date, "example.com", "v=TLSRPTv1; rua=mailto:tlsrpt@example.com"), (record.Day, record.RecipientDomain, record.Record));
    }

    [Fact]
    public async Task Datagrams_and_the_grpc_relay_api_add_up_in_the_same_counters()
    {
        var (daemon, socket, dir) = await StartAsync();
        using var __ = dir;
        await using var _ = daemon;
        using (var sender = new DatagramSender(socket))
        {
            sender.Send(LibTlsRptDatagrams.Write("example.com", null, LibTlsRptDatagrams.Sts("example.com", true, new LibTlsRptFailure(204, "198.51.100.7"))), 40);
        }

        var relay = new RelayOutcomes.RelayOutcomesClient(daemon.Channel);
        await relay.ReportOutcomesAsync(Batch("grpc-1", Success("example.com", InProcessDaemon.DefaultNow, 5),
            Failure("example.com", InProcessDaemon.DefaultNow, ResultType.CertificateExpired, 2)));

        await DatagramSender.WaitForAsync(() => daemon.Store.TotalSessionsAsync(), n => n == 47);
        var queries = new Query.QueryClient(daemon.Channel);
        var trend = await queries.GetDailyTrendAsync(new DomainRequest { Domain = "example.com", Range = new DayRange { StartDay = Today.Text, EndDay = Today.Text }, Direction = Direction.Outbound });
        var day = Assert.Single(Assert.Single(trend.Series).Days);
        Assert.Equal((5L, 42L, 42L), (day.Successes, day.Failures, day.FailuresByResultType["certificate-expired"]));
    }

    [Theory]
    [InlineData(4096, true)]
    [InlineData(4097, false)]
    public async Task A_datagram_is_read_up_to_the_configured_size_and_refused_one_byte_over(int size, bool counted)
    {
        var (daemon, socket, dir) = await StartAsync("--Collector:MaxDatagramBytes=4096");
        using var __ = dir;
        await using var _ = daemon;
        var datagram = LibTlsRptDatagrams.Write("example.com", null, LibTlsRptDatagrams.Sts("example.com"));
        // JSON allows trailing white space: the same datagram, padded to the size.
        var padded = datagram.Concat(Enumerable.Repeat((byte)' ', size - datagram.Length)).ToArray();
        using (var sender = new DatagramSender(socket))
        {
            sender.Send(padded);
            sender.Send(datagram);
        }

        Assert.Equal(counted ? 2 : 1, await DatagramSender.WaitForAsync(() => daemon.Store.TotalSessionsAsync(), n => n >= (counted ? 2 : 1)));
        if (!counted)
        {
            await DatagramSender.WaitForAsync(() => Task.FromResult(daemon.Logs.Lines.Count(l => l.Message.Contains("refused (too-large)"))), n => n == 1);
            Assert.Contains(daemon.Logs.Lines, l => l.Message.Contains("Datagram refused (too-large): longer than Collector:MaxDatagramBytes (4096 bytes)"));
        }
    }

    [Fact]
    public async Task The_largest_datagram_a_sender_can_send_is_refused_and_the_next_one_counts()
    {
        var (daemon, socket, dir) = await StartAsync();
        using var __ = dir;
        await using var _ = daemon;
        using var sender = new DatagramSender(socket);
        // With default buffers a unix datagram carries at most 212,960 bytes here: one long reason.
        var huge = LibTlsRptDatagrams.Write("example.com", null, LibTlsRptDatagrams.Sts("example.com", true, new LibTlsRptFailure(204, ReasonCode: new string('x', 212_960 - 400))));
        sender.Send(huge);
        sender.Send(LibTlsRptDatagrams.Write("example.com", null, LibTlsRptDatagrams.Sts("example.com")));

        Assert.Equal(1, await DatagramSender.WaitForAsync(() => daemon.Store.TotalSessionsAsync(), n => n >= 1));
        Assert.Contains(daemon.Logs.Lines, l => l.Message.Contains("Datagram refused (oversized): policies[0].failure-details[0].f: is longer than 1024 characters"));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task The_socket_gets_its_mode_and_group_and_is_removed_at_a_clean_stop()
    {
        var (daemon, socket, dir) = await StartAsync("--Collector:Mode=0620", "--Collector:Group=7");
        using var __ = dir;
        await using (daemon)
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupWrite, File.GetUnixFileMode(socket));
            var (code, output) = Command.Run("stat", "-c", "%F %g", socket);
            Assert.Equal((0, "socket 7"), (code, output.Trim()));
        }

        Assert.False(File.Exists(socket));
    }

    [Fact]
    public async Task A_socket_another_daemon_reads_is_refused_in_one_line_and_left_alone()
    {
        var (daemon, socket, dir) = await StartAsync();
        using var __ = dir;
        await using var _ = daemon;

        var (code, output) = await DaemonProcess.RunToExitAsync(dir.Path, "--urls", "http://127.0.0.1:0", "--HttpApi:Url=", $"--Storage:DataDirectory={dir.Path}/second", $"--Collector:Socket={socket}");

        Assert.Equal(1, code);
        Assert.Equal($"mtasts-reporting: the collector socket {socket} is in use: another process reads it (is another daemon or tlsrpt-collectd running?)",
            Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("mtasts-reporting:", StringComparison.Ordinal)));
        Assert.DoesNotContain("   at ", output);
        using var sender = new DatagramSender(socket);
        sender.Send(LibTlsRptDatagrams.Write("example.com", null, LibTlsRptDatagrams.Sts("example.com")));
        Assert.Equal(1, await DatagramSender.WaitForAsync(() => daemon.Store.TotalSessionsAsync(), n => n >= 1));
    }

    [Theory]
    [InlineData("file", "a file that is not a socket has that name; remove it or choose another path")]
    [InlineData("directory", "a directory has that name")]
    [InlineData("no-parent", "the directory")]
    public async Task A_path_that_cannot_be_the_socket_is_one_line_naming_why(string what, string because)
    {
        using var dir = new TempDirectory();
        var socket = Path.Combine(dir.Path, "tlsrpt.sock");
        switch (what)
        {
            case "file": await File.WriteAllTextAsync(socket, "mine"); break;
            case "directory": Directory.CreateDirectory(socket); break;
            default: socket = Path.Combine(dir.Path, "missing", "tlsrpt.sock"); break;
        }

        var (code, output) = await DaemonProcess.RunToExitAsync(dir.Path, "--urls", "http://127.0.0.1:0", "--HttpApi:Url=", $"--Storage:DataDirectory={dir.Path}", $"--Collector:Socket={socket}");

        Assert.Equal(1, code);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("mtasts-reporting:", StringComparison.Ordinal));
        Assert.StartsWith($"mtasts-reporting: the collector socket {socket} cannot be created: ", line);
        Assert.Contains(because, line);
        Assert.DoesNotContain("   at ", output);
        if (what == "file")
        {
            Assert.Equal("mine", await File.ReadAllTextAsync(socket));
        }
    }

    [Theory]
    [InlineData("--Collector:Socket=relative.sock", "Collector:Socket must be an absolute path")]
    [InlineData("--Collector:Mode=0999", "Collector:Mode must be an octal file mode")]
    [InlineData("--Collector:Mode=01777", "Collector:Mode must be an octal file mode")]
    [InlineData("--Collector:CommitInterval=0", "Collector:CommitInterval must be between")]
    [InlineData("--Collector:CommitInterval=2m", "Collector:CommitInterval must be between")]
    [InlineData("--Collector:MaxDatagramBytes=4095", "Collector:MaxDatagramBytes must be between 4096")]
    public async Task Bad_collector_settings_are_refused_at_start(string setting, string because)
    {
        using var dir = new TempDirectory();
        string[] args = setting.Contains("Socket=", StringComparison.Ordinal) ? [setting] : [$"--Collector:Socket={dir.Path}/t.sock", setting];

        var (code, output) = await DaemonProcess.RunToExitAsync(dir.Path, ["--urls", "http://127.0.0.1:0", $"--Storage:DataDirectory={dir.Path}", .. args]);

        Assert.Equal(2, code);
        Assert.Contains(because, output);
    }

    /// <summary>A UTC day as the query API writes it.</summary>
    private readonly record struct Day(DateTimeOffset At)
    {
        public DateOnly Date => DateOnly.FromDateTime(At.UtcDateTime);

        public string Text => Date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
    }
}
