using System.Globalization;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using MtaStsReporting.Domain.Access;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Readiness;
using MtaStsReporting.Daemon.Tests.Support;
using MtaStsReporting.Persistence.Security;
using static MtaStsReporting.Daemon.Tests.Support.Outcomes;
using Dir = MtaStsReporting.Api.V1.Direction;

namespace MtaStsReporting.Daemon.Tests.Dashboard;

/// <summary>A daemon filled through its APIs (relay outcomes, report imports) and a headless Chromium.</summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    public static readonly byte[] OursReport = TestReports.Report("r-1", "ours.example", "Reporter Org", successes: 25);

    public Browser Browser { get; } = new();

    public InProcessDaemon Daemon { get; private set; } = null!;

    /// <summary>The readiness verdict's live check asks dnsmasq on loopback, where no name under example exists.</summary>
    public DnsServer Dns { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Browser.InitializeAsync();
        Dns = await DnsServer.StartAsync(new Dictionary<string, string>(), ["local=/example/"]);
        Daemon = await InProcessDaemon.StartAsync(Dns.ServerArg);
        await FillAsync(Daemon);
    }

    /// <summary>
    /// Outbound: alpha.example on 2026-11-27 90 ok, 6 certificate-expired, 4 starttls-not-supported, on 2026-11-28 60 ok;
    /// beta.example on 2026-11-28 10 ok, 10 validation-failure. Inbound: ours.example on 2026-11-20 (25 ok), old.example on 2025-06-01 (7 ok).
    /// </summary>
    public static async Task FillAsync(InProcessDaemon daemon, Grpc.Core.Metadata? headers = null)
    {
        var d2 = InProcessDaemon.DefaultNow.AddDays(-2);
        var d1 = InProcessDaemon.DefaultNow.AddDays(-1);
        var batch = Batch("dash-1",
            Success("alpha.example", d2, 90),
            Failure("alpha.example", d2, ResultType.CertificateExpired, 6, sendingIp: "198.51.100.1", mx: "mx1.example.com"),
            Failure("alpha.example", d2, ResultType.StarttlsNotSupported, 4, sendingIp: "198.51.100.2", mx: "mx2.example.com"),
            Success("alpha.example", d1, 60),
            Success("beta.example", d1, 10),
            Failure("beta.example", d1, ResultType.ValidationFailure, 10));
        batch.PolicyFetchOutcomes.Add(FetchOk("alpha.example", d2, "20261127"));
        await new RelayOutcomes.RelayOutcomesClient(daemon.Channel).ReportOutcomesAsync(batch, headers);
        var import = new ReportImport.ReportImportClient(daemon.Channel);
        await import.ImportReportAsync(new ImportReportRequest { Content = ByteString.CopyFrom(OursReport) }, headers);
        await import.ImportReportAsync(new ImportReportRequest
        {
            Content = ByteString.CopyFrom(TestReports.Report("o-1", "old.example", "Old Reporter", successes: 7, start: "2025-06-01T00:00:00Z", end: "2025-06-01T23:59:59Z")),
        }, headers);
    }

    public async Task DisposeAsync()
    {
        await Daemon.DisposeAsync();
        await Dns.DisposeAsync();
        await Browser.DisposeAsync();
    }
}

/// <summary>
/// The dashboard in a real browser against a real daemon: each view shows the figures the API
/// gives, the chart is drawn (its columns and lines have a size on the page), navigation and
/// the date range work, light and dark, 1280 px and a phone, and a reader key when keys are on.
/// Screenshots are kept in artifacts/screenshots.
/// </summary>
public sealed class DashboardBrowserTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    private Query.QueryClient Queries => new(fixture.Daemon.Channel);

    private string Dashboard => fixture.Daemon.HttpApiUrl + "/dashboard/";

    private static string Count(long n) => n.ToString("#,0", CultureInfo.InvariantCulture);

    private static string Rate(double rate) => (rate * 100).ToString("0.00", CultureInfo.InvariantCulture) + "%";

    private static string Direction(Dir d) => d == Dir.Inbound ? "inbound" : "outbound";

    private static async Task<string[][]> RowsAsync(IPage page, string table) =>
        await page.EvaluateAsync<string[][]>($"[...document.querySelectorAll('{table} tbody tr')].map(tr => [...tr.cells].map(td => td.innerText.trim()))");

    private static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Browser.ScreenshotFolder, name), FullPage = true });

    [Fact]
    public async Task The_domain_list_shows_the_figures_of_the_api_with_their_direction()
    {
        var page = await fixture.Browser.PageAsync();
        await page.GotoAsync(Dashboard);
        await page.WaitForSelectorAsync("body[data-loaded=domains]");

        var api = await Queries.ListDomainsAsync(new ListDomainsRequest { PageSize = 1000 });
        var shown = await RowsAsync(page, "main");
        Assert.Equal(api.Domains.Select(d => new[] { d.Domain, Direction(d.Direction), Count(d.Sessions), Count(d.Failures), Rate(d.FailureRate) }), shown);
        // By hand: beta 20 sessions at 50 %, alpha 160 at 6.25 %, ours 25 inbound at 0 % (old.example is outside the 31 days).
        Assert.Equal(["beta.example", "alpha.example", "ours.example"], shown.Select(r => r[0]));
        Assert.Equal(["20", "10", "50.00%"], shown[0][2..]);
        await ScreenshotAsync(page, "dashboard-domains.png");

        // Sorted by volume: the same figures, another order.
        await page.ClickAsync("#sort-volume");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("sort=volume"));
        await page.WaitForSelectorAsync("body[data-loaded=domains]");
        Assert.Equal(["alpha.example", "ours.example", "beta.example"], (await RowsAsync(page, "main")).Select(r => r[0]));
    }

    [Fact]
    public async Task A_domain_page_draws_the_trend_and_shows_the_breakdowns_history_and_readiness_of_the_api()
    {
        var page = await fixture.Browser.PageAsync();
        await page.GotoAsync(Dashboard + "#/domain/alpha.example");
        await page.WaitForSelectorAsync("body[data-loaded=domain]", new PageWaitForSelectorOptions { Timeout = 30_000 });

        var summary = await Queries.GetDomainSummaryAsync(new DomainRequest { Domain = "alpha.example" });
        var outbound = summary.Totals.Single(t => t.Direction == Dir.Outbound);
        var card = page.Locator(".card[data-direction=outbound]");
        Assert.Equal((Count(outbound.Sessions), Count(outbound.Failures), Rate(outbound.FailureRate)),
            (await card.Locator("[data-figure=sessions]").InnerTextAsync(), await card.Locator("[data-figure=failures]").InnerTextAsync(), await card.Locator("[data-figure=rate]").InnerTextAsync()));
        Assert.Equal(("160", "10", "6.25%"), (Count(outbound.Sessions), Count(outbound.Failures), Rate(outbound.FailureRate)));

        // Drawn, not just present: the sessions' columns and the failure lines have a size on the page.
        var chart = await page.EvaluateAsync<double[]>("""
            (() => {
              const svg = document.querySelector('#chart-outbound svg');
              const columns = [...svg.querySelectorAll('rect')].filter(r => (r.getAttribute('style') || '').includes('fill:rgb(158,197,232)')).map(r => r.getBoundingClientRect().height).filter(h => h > 0);
              const lines = [...svg.querySelectorAll('polyline')].filter(p => p.getAttribute('points').trim().split(' ').length === 31).map(p => p.getBoundingClientRect().width);
              return [svg.getBoundingClientRect().width, columns.length, Math.max(...columns), lines.length, Math.min(...lines)];
            })()
            """);
        Assert.True(chart[0] > 800, $"chart width {chart[0]}");
        Assert.Equal(3, chart[1]); // two days with sessions, and the legend's swatch
        Assert.True(chart[2] > 100, $"tallest column {chart[2]}");
        Assert.Equal(2, chart[3]); // certificate-expired and starttls-not-supported, one point per day of the 31
        Assert.True(chart[4] > 700, $"line width {chart[4]}");
        var legend = await page.EvaluateAsync<string[]>("[...document.querySelectorAll('#chart-outbound svg text')].map(t => t.textContent)");
        Assert.Contains("certificate-expired", legend);
        Assert.Contains("starttls-not-supported", legend);

        var byType = await Queries.GetFailureBreakdownAsync(new BreakdownRequest { Domain = "alpha.example", Direction = Dir.Outbound, Dimension = BreakdownRequest.Types.Dimension.ResultType });
        Assert.Equal(byType.Rows.Select(r => new[] { r.Key, Count(r.Failures) }), await RowsAsync(page, "section[data-breakdown=\"outbound/result type\"]"));
        var byMx = await Queries.GetFailureBreakdownAsync(new BreakdownRequest { Domain = "alpha.example", Direction = Dir.Outbound, Dimension = BreakdownRequest.Types.Dimension.ReceivingMx });
        Assert.Equal([["mx1.example.com", "6"], ["mx2.example.com", "4"]], await RowsAsync(page, "section[data-breakdown=\"outbound/receiving MX\"]"));
        Assert.Equal(byMx.Rows.Select(r => new[] { r.Key, Count(r.Failures) }), await RowsAsync(page, "section[data-breakdown=\"outbound/receiving MX\"]"));

        var history = await RowsAsync(page, "#history");
        Assert.Equal(["outbound", "sts", "testing", "mx1.example.com *.backup.example.com", "20261127", "2026-11-27", "2026-11-28", "160"], history[0]);
        Assert.Equal(["2026-11-27", "success", "20261127"], history[1][..3]);

        var verdict = await new MtaStsReporting.Api.V1.Readiness.ReadinessClient(fixture.Daemon.Channel).GetReadinessAsync(new CheckDomainRequest { Domain = "alpha.example" });
        Assert.Equal(ReadinessCommands.Name(verdict.Verdict), await page.InnerTextAsync("#verdict"));
        Assert.Equal(verdict.Reasons.Select(r => r.Code), (await RowsAsync(page, "#readiness")).Select(r => r[1]));
        await ScreenshotAsync(page, "dashboard-domain.png");
    }

    [Fact]
    public async Task Links_lead_from_the_list_to_a_domain_to_its_reports_and_to_a_report_and_its_original()
    {
        var page = await fixture.Browser.PageAsync();
        await page.GotoAsync(Dashboard);
        await page.WaitForSelectorAsync("body[data-loaded=domains]");

        await page.ClickAsync("main a:text-is('ours.example')");
        await page.WaitForSelectorAsync("body[data-loaded=domain]", new PageWaitForSelectorOptions { Timeout = 30_000 });
        Assert.Equal("ours.example", await page.InnerTextAsync("main h1"));
        Assert.Equal("25", await page.InnerTextAsync(".card[data-direction=inbound] [data-figure=sessions]"));

        await page.ClickAsync("text=Stored reports about this domain");
        await page.WaitForSelectorAsync("body[data-loaded=reports]");
        var reports = await RowsAsync(page, "main");
        var row = Assert.Single(reports);
        Assert.Equal(["2026-11-20", "Reporter Org", "ours.example", "25", "0"], row[1..6]);

        await page.ClickAsync($"main a:text-is('{row[0]}')");
        await page.WaitForSelectorAsync("body[data-loaded=report]");
        Assert.Equal("Report r-1", await page.InnerTextAsync("main h1"));
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#original"));
        Assert.Equal(DashboardFixture.OursReport, await File.ReadAllBytesAsync((await download.PathAsync())!));

        await page.GoBackAsync();
        await page.WaitForSelectorAsync("body[data-loaded=reports]");
        Assert.Single(await RowsAsync(page, "main"));
        await page.ClickAsync("nav a:text-is('Domains')");
        await page.WaitForSelectorAsync("body[data-loaded=domains]");
        Assert.Equal(3, (await RowsAsync(page, "main")).Length);
    }

    [Fact]
    public async Task A_range_that_holds_nothing_says_where_the_data_is_and_offers_it()
    {
        var page = await fixture.Browser.PageAsync();
        await page.GotoAsync(Dashboard);
        await page.WaitForSelectorAsync("body[data-loaded=domains]");

        await page.FillAsync("#from", "2025-01-01");
        await page.FillAsync("#to", "2025-01-31");
        await page.ClickAsync("#range button[type=submit]");
        await page.WaitForSelectorAsync("#empty");
        Assert.Equal("No domain has data from 2025-01-01 to 2025-01-31. The data held runs from 2025-06-01 to 2026-11-28. Show 2025-06-01 to 2026-11-28",
            await page.InnerTextAsync("#empty"));

        await page.ClickAsync("#show-data");
        await Assertions.Expect(page.Locator("main tbody tr")).ToHaveCountAsync(4);
        Assert.Equal(["alpha.example", "beta.example", "old.example", "ours.example"], (await RowsAsync(page, "main")).Select(r => r[0]).Order());
        Assert.Equal(("2025-06-01", "2026-11-28"), (await page.InputValueAsync("#from"), await page.InputValueAsync("#to")));
        Assert.Equal(["old.example", "inbound", "7", "0", "0.00%"], (await RowsAsync(page, "main")).Single(r => r[0] == "old.example"));
    }

    [Fact]
    public async Task Dark_on_a_phone_the_page_and_chart_are_dark_and_nothing_overflows_sideways()
    {
        var page = await fixture.Browser.PageAsync(390, 844, ColorScheme.Dark);
        await page.GotoAsync(Dashboard + "#/domain/alpha.example");
        await page.WaitForSelectorAsync("body[data-loaded=domain]", new PageWaitForSelectorOptions { Timeout = 30_000 });

        Assert.Equal("rgb(13, 17, 23)", await page.EvaluateAsync<string>("getComputedStyle(document.body).backgroundColor"));
        Assert.Equal("rgb(230,237,243)", await page.EvaluateAsync<string>("document.querySelector('#chart-outbound svg text').getAttribute('fill')"));
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways");
        Assert.True(await page.EvaluateAsync<double>("document.querySelector('#chart-outbound svg').getBoundingClientRect().width") <= 390);
        await ScreenshotAsync(page, "dashboard-domain-phone-dark.png");

        // The theme button overrides the system's choice, and the chart is drawn again in it.
        await page.ClickAsync("#theme"); // auto -> light
        await page.WaitForSelectorAsync("body[data-loaded=domain]", new PageWaitForSelectorOptions { Timeout = 30_000 });
        Assert.Equal("rgb(255, 255, 255)", await page.EvaluateAsync<string>("getComputedStyle(document.body).backgroundColor"));
        Assert.Equal("rgb(31,35,40)", await page.EvaluateAsync<string>("document.querySelector('#chart-outbound svg text').getAttribute('fill')"));
    }

    [Fact]
    public async Task With_keys_on_the_page_asks_for_a_key_and_only_a_reader_key_shows_data()
    {
        await using var daemon = await InProcessDaemon.StartAsync([fixture.Dns.ServerArg, "--Security:Authentication=ApiKeys", "--Security:KeyCacheTime=00:00:00"]);
        var keys = daemon.Services.GetRequiredService<ApiKeyStore>();
        var relay = (await keys.CreateAsync("relay", Role.Relay, CancellationToken.None)).Key;
        var reader = (await keys.CreateAsync("reader", Role.Reader, CancellationToken.None)).Key;
        var admin = (await keys.CreateAsync("admin", Role.Admin, CancellationToken.None)).Key;
        await DashboardFixture.FillAsync(daemon, new Grpc.Core.Metadata { { "authorization", "Bearer " + admin } });

        var page = await fixture.Browser.PageAsync();
        await page.GotoAsync(daemon.HttpApiUrl + "/dashboard/");
        await page.WaitForSelectorAsync("#key-dialog[open]");
        Assert.StartsWith("an API key is required", await page.InnerTextAsync("#key-reason"));

        await page.FillAsync("#key", relay);
        await page.ClickAsync("#key-form button[type=submit]");
        await Assertions.Expect(page.Locator("#key-reason")).ToContainTextAsync("(relay) may not call /mtasts.reporting.v1.Query/ListDomains. A key with the reader role is needed.");
        Assert.True(await page.IsVisibleAsync("#key-dialog[open]"));

        await page.FillAsync("#key", reader);
        await page.ClickAsync("#key-form button[type=submit]");
        await page.WaitForSelectorAsync("body[data-loaded=domains]");
        Assert.Equal(["beta.example", "alpha.example", "ours.example"], (await RowsAsync(page, "main")).Select(r => r[0]));

        // The chart is behind the same key.
        await page.GotoAsync(daemon.HttpApiUrl + "/dashboard/#/domain/beta.example");
        await page.WaitForSelectorAsync("body[data-loaded=domain]", new PageWaitForSelectorOptions { Timeout = 30_000 });
        Assert.True(await page.EvaluateAsync<int>("document.querySelectorAll('#chart-outbound svg polyline').length") > 0);
        using var http = new HttpClient();
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await http.GetAsync(daemon.HttpApiUrl + "/dashboard/charts/trend.svg?domain=beta.example")).StatusCode);
    }
}
