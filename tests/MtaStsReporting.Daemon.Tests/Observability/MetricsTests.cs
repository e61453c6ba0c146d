using System.Text.RegularExpressions;
using Google.Protobuf;
using Grpc.Core;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Tests.Support;
using static MtaStsReporting.Daemon.Tests.Support.Outcomes;

namespace MtaStsReporting.Daemon.Tests.Observability;

/// <summary>
/// Meters are process-wide: other in-process daemons of parallel tests would add to the counts,
/// so this collection runs alone.
/// </summary>
[CollectionDefinition(nameof(MetricsTests), DisableParallelization = true)]
public sealed class MetricsCollection;

/// <summary>The Prometheus endpoint counts what the daemon did.</summary>
[Collection(nameof(MetricsTests))]
public sealed class MetricsTests
{
    [Fact]
    public async Task Metrics_count_outcomes_batches_commits_and_reports()
    {
        await using var daemon = await InProcessDaemon.StartAsync();
        var relay = new RelayOutcomes.RelayOutcomesClient(daemon.Channel);
        var now = InProcessDaemon.DefaultNow;
        await relay.ReportOutcomesAsync(Batch("m-1", Success("example.com", now, 7), Failure("example.com", now, ResultType.CertificateExpired, 3)));
        await relay.ReportOutcomesAsync(Batch("m-1", Success("example.com", now, 7)));
        var bad = Success("example.com", now);
        bad.Count = 0;
        await Assert.ThrowsAsync<RpcException>(() => relay.ReportOutcomesAsync(Batch("m-2", bad)).ResponseAsync);
        var import = new ReportImport.ReportImportClient(daemon.Channel);
        await import.ImportReportAsync(new ImportReportRequest { Content = ByteString.CopyFrom(TestReports.ReportMail("metrics-1")) });

        using var http = new HttpClient { BaseAddress = new Uri(daemon.HttpApiUrl!) };
        var text = await http.GetStringAsync("/metrics");

        double Value(string series)
        {
            var match = Regex.Match(text, "^" + Regex.Escape(series) + @"(?:\{[^}]*\})? ([0-9.eE+-]+)", RegexOptions.Multiline);
            Assert.True(match.Success, $"{series} missing from:\n{text}");
            return double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        }

        double Labelled(string series, string labels) =>
            double.Parse(Regex.Match(text, "^" + Regex.Escape(series) + @"\{[^}]*" + Regex.Escape(labels) + @"[^}]*\} ([0-9.eE+-]+)", RegexOptions.Multiline).Groups[1].Value,
                System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(10, Value("mtasts_relay_sessions_total"));
        Assert.Equal(1, Labelled("mtasts_relay_batches_total", "result=\"committed\""));
        Assert.Equal(1, Labelled("mtasts_relay_batches_total", "result=\"duplicate\""));
        Assert.Equal(1, Labelled("mtasts_relay_batches_total", "result=\"rejected\""));
        Assert.True(Value("mtasts_group_commit_batches_count") >= 1);
        Assert.Equal(1, Labelled("mtasts_reports_total", "status=\"imported\""));
        Assert.Contains("http_server_request_duration_seconds", text);
    }

    [Fact]
    public async Task Metrics_can_be_turned_off()
    {
        await using var daemon = await InProcessDaemon.StartAsync("--Telemetry:Metrics=false");
        using var http = new HttpClient { BaseAddress = new Uri(daemon.HttpApiUrl!) };
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync("/metrics")).StatusCode);
    }
}
