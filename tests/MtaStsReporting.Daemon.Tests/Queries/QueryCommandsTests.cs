using System.Text.Json;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using MtaStsReporting.Domain.Access;
using MtaStsReporting.Persistence.Security;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Hosting;
using MtaStsReporting.Daemon.Tests.Support;
using static MtaStsReporting.Daemon.Tests.Support.Outcomes;

namespace MtaStsReporting.Daemon.Tests.Queries;

/// <summary>A daemon filled through its APIs, asked by the admins' commands (run in process, on its real gRPC socket).</summary>
public sealed class QueryCommandsFixture : IAsyncLifetime
{
    public InProcessDaemon Daemon { get; private set; } = null!;

    public long ReportNumber { get; private set; }

    public async Task InitializeAsync()
    {
        Daemon = await InProcessDaemon.StartAsync();
        var d2 = InProcessDaemon.DefaultNow.AddDays(-2);
        var d1 = InProcessDaemon.DefaultNow.AddDays(-1);

        // Outbound: alpha.example on 2026-11-27 90 ok, 6 certificate-expired (mx1, .1), 4 starttls (mx2, .2); on 2026-11-28 60 ok.
        // beta.example on 2026-11-28: 10 ok, 10 validation-failure.
        await new RelayOutcomes.RelayOutcomesClient(Daemon.Channel).ReportOutcomesAsync(Batch("c-1",
            Success("alpha.example", d2, 90),
            Failure("alpha.example", d2, ResultType.CertificateExpired, 6, sendingIp: "198.51.100.1", mx: "mx1.example.com"),
            Failure("alpha.example", d2, ResultType.StarttlsNotSupported, 4, sendingIp: "198.51.100.2", mx: "mx2.example.com"),
            Success("alpha.example", d1, 60),
            Success("beta.example", d1, 10),
            Failure("beta.example", d1, ResultType.ValidationFailure, 10)));

        // Inbound: one report about ours.example for 2026-11-20, 25 sessions.
        var imported = await new ReportImport.ReportImportClient(Daemon.Channel).ImportReportAsync(new ImportReportRequest
        {
            Content = ByteString.CopyFrom(TestReports.Report("r-1", "ours.example", "Reporter Org", successes: 25)),
        });
        var list = await new Query.QueryClient(Daemon.Channel).ListReportsAsync(new ListReportsRequest { Range = new DayRange { StartDay = "2026-11-01" } });
        ReportNumber = list.Reports.Single().Id;
    }

    public async Task DisposeAsync() => await Daemon.DisposeAsync();
}

/// <summary>
/// <c>domains</c>, <c>summary</c>, <c>trend</c>, <c>breakdown</c>, <c>reports</c> and <c>report</c>:
/// the tables print the figures the API gives (worked out by hand from the fixture's data),
/// <c>--json</c> prints the API's answer, and mistakes are one line with exit code 2.
/// </summary>
public sealed class QueryCommandsTests(QueryCommandsFixture fixture) : IClassFixture<QueryCommandsFixture>
{
    private async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = await CommandTree.RunAsync([.. args, "--url", fixture.Daemon.Url], output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static string Lines(params string[] lines) => string.Join(Environment.NewLine, lines) + Environment.NewLine;

    [Fact]
    public async Task Domains_prints_an_aligned_table_by_failure_rate_with_the_direction()
    {
        var (code, output, error) = await RunAsync("domains");

        Assert.Equal((0, ""), (code, error));
        Assert.Equal(Lines(
            "DOMAIN         DIRECTION  SESSIONS  FAILURES  FAILURE RATE",
            "beta.example   outbound         20        10        50.00%",
            "alpha.example  outbound        160        10         6.25%",
            "ours.example   inbound          25         0         0.00%"), output);
    }

    [Fact]
    public async Task Domains_by_volume_limited_says_there_are_more_and_json_is_the_api_answer()
    {
        var (code, output, _) = await RunAsync("domains", "--sort", "volume", "--limit", "2");
        Assert.Equal(0, code);
        Assert.Equal(Lines(
            "DOMAIN         DIRECTION  SESSIONS  FAILURES  FAILURE RATE",
            "alpha.example  outbound        160        10         6.25%",
            "ours.example   inbound          25         0         0.00%",
            "(more domains than --limit 2)"), output);

        // At the limit exactly, nothing more is said.
        var (_, two, _) = await RunAsync("domains", "--sort", "volume", "--limit", "2", "--direction", "outbound");
        Assert.Equal(Lines(
            "DOMAIN         DIRECTION  SESSIONS  FAILURES  FAILURE RATE",
            "alpha.example  outbound        160        10         6.25%",
            "beta.example   outbound         20        10        50.00%"), two);

        var (_, json, _) = await RunAsync("domains", "--json", "--direction", "inbound");
        var answer = JsonDocument.Parse(json).RootElement;
        var only = Assert.Single(answer.GetProperty("domains").EnumerateArray());
        Assert.Equal(("ours.example", "DIRECTION_INBOUND", "25"), (only.GetProperty("domain").GetString(), only.GetProperty("direction").GetString(), only.GetProperty("sessions").GetString()));
        Assert.Equal(("2026-11-20", "2026-11-20"), (answer.GetProperty("firstDataDay").GetString(), answer.GetProperty("lastDataDay").GetString()));
    }

    [Fact]
    public async Task An_empty_range_says_which_days_hold_data_and_what_to_type()
    {
        var (code, output, _) = await RunAsync("domains", "--from", "2025-01-01", "--to", "2025-01-31");

        Assert.Equal(0, code);
        Assert.Equal(Lines("No domain has data from 2025-01-01 to 2025-01-31. The data held runs from 2026-11-20 to 2026-11-28: try --from 2026-11-20 --to 2026-11-28."), output);
    }

    [Theory]
    // The suggestion is the last 31 days of data, or less when the data starts later.
    [InlineData("2026-11-20", "2026-11-28", "try --from 2026-11-20 --to 2026-11-28.")]
    [InlineData("2026-10-28", "2026-11-28", "try --from 2026-10-29 --to 2026-11-28.")]
    [InlineData("2026-10-29", "2026-11-28", "try --from 2026-10-29 --to 2026-11-28.")]
    [InlineData("2026-10-30", "2026-11-28", "try --from 2026-10-30 --to 2026-11-28.")]
    public void The_suggested_range_covers_at_most_the_last_31_days_of_data(string first, string last, string suggestion)
    {
        var text = MtaStsReporting.Daemon.Queries.QueryCommands.NothingInRange(null, null, new ListDomainsResponse { FirstDataDay = first, LastDataDay = last });
        Assert.Equal($"No domain has data in the last 31 days. The data held runs from {first} to {last}: {suggestion}", text);
        Assert.Equal("No domain has data from 2025-01-01 to today: the daemon holds no data yet.", MtaStsReporting.Daemon.Queries.QueryCommands.NothingInRange("2025-01-01", null, new ListDomainsResponse()));
    }

    [Fact]
    public async Task Summary_prints_the_totals_and_the_policies_seen()
    {
        var (code, output, _) = await RunAsync("summary", "alpha.example", "--direction", "outbound");

        Assert.Equal(0, code);
        Assert.Equal(Lines(
            "DIRECTION  SESSIONS  FAILURES  FAILURE RATE  LAST SEEN",
            "outbound        160        10         6.25%  2026-11-28",
            "",
            "DIRECTION  TYPE  MODE     MX                                    FIRST DAY   LAST DAY    SESSIONS",
            "outbound   sts   testing  mx1.example.com *.backup.example.com  2026-11-27  2026-11-28       160"), output);
    }

    [Fact]
    public async Task Trend_prints_the_days_with_sessions_and_the_failures_per_result_type()
    {
        var (code, output, _) = await RunAsync("trend", "alpha.example", "--direction", "outbound", "--from", "2026-11-26", "--to", "2026-11-28");
        Assert.Equal(0, code);
        Assert.Equal(Lines(
            "DAY         DIRECTION  SESSIONS  FAILURES  FAILURES BY RESULT TYPE",
            "2026-11-27  outbound        100        10  certificate-expired=6 starttls-not-supported=4",
            "2026-11-28  outbound         60         0"), output);

        var (_, all, _) = await RunAsync("trend", "alpha.example", "--direction", "outbound", "--from", "2026-11-26", "--to", "2026-11-28", "--all-days");
        Assert.Equal(4, all.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("2026-11-26  outbound          0         0", all, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Breakdown_groups_the_failures_most_first_in_each_direction()
    {
        var (code, output, _) = await RunAsync("breakdown", "alpha.example", "--by", "mx");
        Assert.Equal(0, code);
        Assert.Equal(Lines(
            "DIRECTION  FAILURES  MX",
            "outbound          6  mx1.example.com",
            "outbound          4  mx2.example.com"), output);

        var (_, byIp, _) = await RunAsync("breakdown", "alpha.example", "--by", "sending-ip", "--direction", "outbound");
        Assert.Equal(Lines(
            "DIRECTION  FAILURES  SENDING-IP",
            "outbound          6  198.51.100.1",
            "outbound          4  198.51.100.2"), byIp);
    }

    [Fact]
    public async Task Reports_and_report_print_the_stored_report()
    {
        var (code, output, _) = await RunAsync("reports", "--from", "2026-11-01");
        Assert.Equal(0, code);
        var id = fixture.ReportNumber.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(Lines(
            "ID".PadLeft(Math.Max(2, id.Length)) + "  DAY         REPORTER      DOMAINS       SESSIONS  FAILURES  DKIM  FLAGS",
            id.PadLeft(2) + "  2026-11-20  Reporter Org  ours.example        25         0  none"), output);

        var (one, report, _) = await RunAsync("report", id);
        Assert.Equal(0, one);
        Assert.Contains("report-id     r-1", report, StringComparison.Ordinal);
        Assert.Contains("date-range    2026-11-20T00:00:00.000Z .. 2026-11-20T23:59:59.000Z", report, StringComparison.Ordinal);
        Assert.Contains("ours.example  sts          25         0  version: STSv1; mode: testing; mx: mx.ours.example; max_age: 86400", report, StringComparison.Ordinal);

        var (_, original, _) = await RunAsync("report", id, "--original");
        Assert.Equal(System.Text.Encoding.UTF8.GetString(TestReports.Report("r-1", "ours.example", "Reporter Org", successes: 25)), original);
    }

    [Fact]
    public async Task A_report_that_does_not_exist_is_one_line_and_exit_1()
    {
        var (code, output, error) = await RunAsync("report", "987654");

        Assert.Equal((1, ""), (code, output));
        Assert.Equal("mtasts-reporting report: ", Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries))[..25]);
    }

    [Theory]
    [InlineData(new[] { "domains", "--sort", "alphabet" }, "mtasts-reporting domains: Argument 'alphabet' not recognized. Must be one of: 'rate' 'volume' (see mtasts-reporting domains --help)")]
    [InlineData(new[] { "breakdown", "alpha.example" }, "mtasts-reporting breakdown: Option '--by' is required. (see mtasts-reporting breakdown --help)")]
    [InlineData(new[] { "summary" }, "mtasts-reporting summary: Required argument missing for command: 'summary'. (see mtasts-reporting summary --help)")]
    [InlineData(new[] { "domains", "--Storage:DataDirectory=/tmp" }, "mtasts-reporting domains: '--Storage:DataDirectory=/tmp' is a daemon setting; this command asks a running daemon (--url) and takes none")]
    [InlineData(new[] { "domains", "--from", "yesterday" }, "mtasts-reporting domains: InvalidArgument: range.start_day: 'yesterday' is not a day (YYYY-MM-DD)")]
    [InlineData(new[] { "report", "twelve" }, "mtasts-reporting report: Cannot parse argument 'twelve' for command 'report' as expected type 'System.Int64'.")]
    public async Task A_mistake_is_one_line_naming_it_with_exit_code_2(string[] args, string start)
    {
        var (code, output, error) = await RunAsync(args);

        Assert.Equal((2, ""), (code, output));
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith(start, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_keys_on_a_wrong_or_unreadable_key_is_one_line_and_a_reader_key_gets_the_table()
    {
        await using var daemon = await InProcessDaemon.StartAsync("--Security:Authentication=ApiKeys", "--Security:KeyCacheTime=00:00:00");
        var keys = daemon.Services.GetRequiredService<ApiKeyStore>();
        var reader = (await keys.CreateAsync("reader", Role.Reader, CancellationToken.None)).Key;
        var relay = (await keys.CreateAsync("relay", Role.Relay, CancellationToken.None)).Key;
        using var files = new TempDirectory();
        async Task<(int, string, string)> WithKeyAsync(string? key)
        {
            var file = Path.Combine(files.Path, Guid.NewGuid().ToString("N"));
            if (key is not null)
            {
                await File.WriteAllTextAsync(file, key + "\n");
            }

            var (output, error) = (new StringWriter(), new StringWriter());
            var code = await CommandTree.RunAsync(["domains", "--url", daemon.Url, "--key-file", file], output, error);
            return (code, output.ToString(), error.ToString().TrimEnd());
        }

        var (missing, _, missingError) = await WithKeyAsync(null);
        Assert.Equal(2, missing);
        Assert.StartsWith("mtasts-reporting domains: Could not find file '", missingError, StringComparison.Ordinal);

        Assert.Equal((2, "", "mtasts-reporting domains: Unauthenticated: the API key is unknown or revoked"), await WithKeyAsync("msr_nosuchkey_secret"));
        var (refused, _, refusedError) = await WithKeyAsync(relay);
        Assert.Equal(2, refused);
        Assert.StartsWith("mtasts-reporting domains: PermissionDenied: key ", refusedError, StringComparison.Ordinal);
        Assert.EndsWith("(relay) may not call /mtasts.reporting.v1.Query/ListDomains", refusedError, StringComparison.Ordinal);

        var (ok, table, none) = await WithKeyAsync(reader);
        Assert.Equal((0, "", "No domain has data in the last 31 days: the daemon holds no data yet."), (ok, none, table.TrimEnd()));
    }

    [Fact]
    public async Task A_daemon_that_cannot_be_reached_is_one_line_naming_the_url()
    {
        var url = $"http://127.0.0.1:{Loopback.FreePort()}";
        var (output, error) = (new StringWriter(), new StringWriter());

        var code = await CommandTree.RunAsync(["domains", "--url", url], output, error);

        Assert.Equal(2, code);
        Assert.Equal($"mtasts-reporting domains: cannot reach the daemon at {url}: Connection refused", error.ToString().TrimEnd());
    }
}

/// <summary>How lists show a report's flags.</summary>
public sealed class FlagCodesTests
{
    [Fact]
    public void A_list_shows_each_kind_of_flag_once_by_its_code()
    {
        string[] flags =
        [
            "number-as-string: policies[0].summary.total-successful-session-count",
            "no-contact-info: contact-info is missing or null",
            "number-as-string: policies[0].failure-details[0].failed-session-count",
            "bare-flag",
        ];

        Assert.Equal(["number-as-string", "no-contact-info", "bare-flag"], MtaStsReporting.Daemon.Queries.QueryCommands.FlagCodes(flags));
        Assert.Empty(MtaStsReporting.Daemon.Queries.QueryCommands.FlagCodes([]));
    }
}
