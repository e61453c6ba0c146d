using System.Text;
using System.Text.RegularExpressions;
using MtaStsReporting.Daemon.Tests.Observability;
using MtaStsReporting.Daemon.Tests.Support;
using MtaStsReporting.Testing;

namespace MtaStsReporting.Daemon.Tests.Collector;

/// <summary>
/// Bad datagrams never hurt: each kind is counted by reason and changes nothing else. In the
/// metrics collection, because meters are process-wide.
/// </summary>
[Collection(nameof(MetricsTests))]
public sealed class CollectorMetricsTests
{
    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public async Task Each_kind_of_bad_datagram_is_counted_by_reason_the_log_is_rate_limited_and_samples_are_bounded()
    {
        using var dir = new TempDirectory();
        var socket = Path.Combine(dir.Path, "tlsrpt.sock");
        var samples = Path.Combine(dir.Path, "samples");
        await using var daemon = await InProcessDaemon.StartAsync($"--Collector:Socket={socket}", "--Collector:CommitInterval=50ms",
            "--Collector:LogLinesPerMinute=3", $"--Collector:SampleFolder={samples}", "--Collector:MaxSamples=2", "--Collector:MaxDatagramBytes=4096");
        var good = LibTlsRptDatagrams.Sts("example.com", true, new LibTlsRptFailure(204));
        var notUtf8 = LibTlsRptDatagrams.Write("example.com", null, LibTlsRptDatagrams.Sts("example.com", true, new LibTlsRptFailure(204, ReasonCode: "XX")));
        var at = Encoding.ASCII.GetString(notUtf8).IndexOf("XX", StringComparison.Ordinal);
        notUtf8[at] = 0xFF;
        var refused = new (string Reason, byte[] Datagram)[]
        {
            ("not-json", Bytes("not json")),
            ("wrong-version", LibTlsRptDatagrams.Write("2", "example.com", null, [good])),
            ("wrong-version", LibTlsRptDatagrams.Write(null, "example.com", null, [good])),
            ("no-domain", LibTlsRptDatagrams.Write("1", null, null, [good])),
            ("no-policies", LibTlsRptDatagrams.Write("1", "example.com", null, (IReadOnlyList<LibTlsRptPolicy>?)null)),
            ("unknown-policy-type", LibTlsRptDatagrams.Write("example.com", null, good with { PolicyType = 4 })),
            ("bad-field", LibTlsRptDatagrams.Write("example.com", null, LibTlsRptDatagrams.Sts("example.com", true, new LibTlsRptFailure(204, "999.1.1.1")))),
            ("oversized", LibTlsRptDatagrams.Write("example.com", null, LibTlsRptDatagrams.Sts("example.com", true, new LibTlsRptFailure(204, Helo: new string('h', 256))))),
            ("too-large", new byte[4097]),
        };
        var kept = new (string Note, byte[] Datagram)[]
        {
            ("count-mismatch", LibTlsRptDatagrams.Write("example.com", null, good with { T = 3 })),
            ("internal-failure-code", LibTlsRptDatagrams.Write("example.com", null, LibTlsRptDatagrams.Sts("example.com", true, new LibTlsRptFailure(901)))),
            ("unknown-failure-code", LibTlsRptDatagrams.Write("example.com", null, LibTlsRptDatagrams.Sts("example.com", true, new LibTlsRptFailure(999)))),
            ("not-utf8", notUtf8),
        };
        using (var sender = new DatagramSender(socket))
        {
            for (var second = 0; second < 3; second++)
            {
                // Samples are kept at most one a second: the clock moves on between rounds.
                daemon.Clock.Now = InProcessDaemon.DefaultNow.AddSeconds(second);
                foreach (var (_, datagram) in refused)
                {
                    sender.Send(datagram);
                }

                await DatagramSender.WaitForAsync(() => Task.FromResult(Directory.Exists(samples) ? Directory.GetFiles(samples).Length : 0), n => n >= Math.Min(second + 1, 2));
            }

            foreach (var (_, datagram) in kept)
            {
                sender.Send(datagram);
            }
        }

        // Only the kept ones count: one failed session each.
        Assert.Equal(4, await DatagramSender.WaitForAsync(() => daemon.Store.TotalSessionsAsync(), n => n >= 4));
        using var http = new HttpClient { BaseAddress = new Uri(daemon.HttpApiUrl!) };
        var text = await DatagramSender.WaitForAsync(() => http.GetStringAsync("/metrics"), t => t.Contains("mtasts_collector_sessions_total", StringComparison.Ordinal));

        long Series(string name, string labels)
        {
            var match = Regex.Match(text, "^" + Regex.Escape(name) + @"\{[^}]*" + Regex.Escape(labels) + @"[^}]*\} ([0-9]+)", RegexOptions.Multiline);
            return match.Success ? long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        }

        foreach (var reason in refused.Select(r => r.Reason).Distinct())
        {
            var expected = 3 * refused.Count(r => r.Reason == reason);
            Assert.True(expected == Series("mtasts_collector_datagrams_total", $"reason=\"{reason}\",result=\"refused\""), $"{reason}: expected {expected} in\n{text}");
        }

        Assert.Equal(4, Series("mtasts_collector_datagrams_total", "reason=\"ok\",result=\"counted\""));
        foreach (var (note, _) in kept)
        {
            Assert.True(Series("mtasts_collector_notes_total", $"note=\"{note}\"") == 1, $"{note} in\n{text}");
        }

        Assert.Equal(4, Series("mtasts_collector_sessions_total", "otel_scope_name"));

        // 27 refusals and 4 notes, 3 lines: the first three, the others counted.
        var lines = daemon.Logs.Lines.Where(l => l.Category.EndsWith("DatagramCollector", StringComparison.Ordinal) && l.Message.StartsWith("Datagram", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, lines.Count);
        Assert.StartsWith("Datagram refused (not-json): not JSON:", lines[0].Message);
        Assert.StartsWith("Datagram refused (wrong-version): dpv: '2' is not the version \"1\" libtlsrpt writes", lines[1].Message);

        // Two samples kept, the newest: one a second, the oldest removed.
        var files = Directory.GetFiles(samples).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(["20261129T120001Z-000002-not-json.datagram", "20261129T120002Z-000003-not-json.datagram"], files);
        Assert.Equal("not json", await File.ReadAllTextAsync(Path.Combine(samples, files[1]!)));
    }
}
