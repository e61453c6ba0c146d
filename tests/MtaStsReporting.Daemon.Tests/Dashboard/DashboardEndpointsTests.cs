using System.Net;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Tests.Support;
using static MtaStsReporting.Daemon.Tests.Support.Outcomes;

namespace MtaStsReporting.Daemon.Tests.Dashboard;

/// <summary>The dashboard's routes over plain HTTP: the page's files, the chart's arguments and sizes, and where they answer.</summary>
public sealed class DashboardEndpointsTests : IAsyncLifetime
{
    private InProcessDaemon _daemon = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _daemon = await InProcessDaemon.StartAsync();
        _http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(_daemon.HttpApiUrl!) };
        await new RelayOutcomes.RelayOutcomesClient(_daemon.Channel).ReportOutcomesAsync(Batch("e-1", Success("alpha.example", InProcessDaemon.DefaultNow.AddDays(-1), 5)));
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _daemon.DisposeAsync();
    }

    [Theory]
    [InlineData("/dashboard/", "text/html")]
    [InlineData("/dashboard/index.html", "text/html")]
    [InlineData("/dashboard/app.js", "text/javascript")]
    [InlineData("/dashboard/app.css", "text/css")]
    public async Task The_page_and_its_files_are_served_with_their_type_and_a_strict_content_policy(string path, string mediaType)
    {
        using var response = await _http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType!.MediaType);
        Assert.StartsWith("default-src 'none'; script-src 'self';", response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.True((await response.Content.ReadAsStringAsync()).Length > 100);
    }

    [Theory]
    [InlineData("/", "/dashboard/")]
    [InlineData("/dashboard", "/dashboard/")]
    public async Task The_root_and_the_folder_without_its_slash_lead_to_the_page(string path, string location)
    {
        using var response = await _http.GetAsync(path);
        Assert.Equal((HttpStatusCode.Redirect, location), (response.StatusCode, response.Headers.Location!.OriginalString));
    }

    [Theory]
    [InlineData("/dashboard/secrets.txt")]
    [InlineData("/dashboard/../appsettings.json")]
    public async Task Any_other_file_is_not_found(string path)
    {
        using var response = await _http.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("domain=alpha.example&direction=sideways", 400, "direction: 'sideways' is not outbound or inbound")]
    [InlineData("domain=not a domain", 400, "domain:")]
    [InlineData("domain=alpha.example&start_day=2026-13-01", 400, "range.start_day: '2026-13-01' is not a day (YYYY-MM-DD)")]
    [InlineData("domain=nobody.example", 404, "domain: no data for nobody.example")]
    [InlineData("domain=alpha.example&direction=inbound", 404, "domain: no data for alpha.example in direction Inbound")]
    public async Task A_chart_of_bad_or_unknown_arguments_says_which(string query, int status, string start)
    {
        using var response = await _http.GetAsync("/dashboard/charts/trend.svg?" + query);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.StartsWith(start, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("", 960, 320)]
    [InlineData("&width=320&height=200", 320, 200)]
    [InlineData("&width=319&height=199", 320, 200)]
    [InlineData("&width=2000&height=800", 2000, 800)]
    [InlineData("&width=2001&height=801", 2000, 800)]
    [InlineData("&width=wide", 960, 320)]
    public async Task A_chart_is_drawn_at_the_size_asked_within_its_limits(string size, int width, int height)
    {
        using var response = await _http.GetAsync("/dashboard/charts/trend.svg?domain=alpha.example" + size);

        Assert.Equal(("image/svg+xml", "no-store"), (response.Content.Headers.ContentType!.MediaType, response.Headers.CacheControl!.ToString()));
        Assert.StartsWith($"<svg viewBox=\"0 0 {width} {height}\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_dashboard_answers_only_on_the_http_api_listener()
    {
        // The gRPC listener speaks HTTP/2 only; asked in HTTP/2 for the page, it has none.
        using var grpcPort = new HttpClient { BaseAddress = new Uri(_daemon.Url), DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var page = await grpcPort.GetAsync("/dashboard/");
        using var chart = await grpcPort.GetAsync("/dashboard/charts/trend.svg?domain=alpha.example");

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (page.StatusCode, chart.StatusCode));
    }
}
