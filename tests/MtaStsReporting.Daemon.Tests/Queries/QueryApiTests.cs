using Microsoft.Extensions.DependencyInjection;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Tests.Support;
using static MtaStsReporting.Daemon.Tests.Support.Outcomes;

namespace MtaStsReporting.Daemon.Tests.Queries;

/// <summary>
/// The query API over the real gRPC surface (and its HTTP/JSON face), with data that came in
/// through the relay API and the report import. Every expected figure is worked out by hand
/// from the data below.
/// </summary>
public sealed class QueryApiTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = InProcessDaemon.DefaultNow; // 2026-11-29 12:00Z
    private static readonly string[] EnforceLines = ["version: STSv1", "mode: enforce", "mx: mx1.example.com", "mx: *.backup.example.com", "max_age: 86400"];
    private InProcessDaemon _daemon = null!;
    private Query.QueryClient _query = null!;
    private byte[] _googleReport = null!;

    public async Task InitializeAsync()
    {
        _daemon = await InProcessDaemon.StartAsync();
        _query = new Query.QueryClient(_daemon.Channel);
        var relay = new RelayOutcomes.RelayOutcomesClient(_daemon.Channel);
        var d2 = Now.AddDays(-2);
        var d1 = Now.AddDays(-1);

        // Outbound, alpha.example: 2026-11-27: 90 ok, 6 certificate-expired (mx1, .1), 4 starttls (mx2, .2), testing policy;
        // 2026-11-28: 50 ok under testing, 10 ok under enforce.
        var enforce = Success("alpha.example", d1, 10);
        enforce.Policy.PolicyString.Clear();
        enforce.Policy.PolicyString.Add(EnforceLines);
        var batch = Batch("q-1",
            Success("alpha.example", d2, 90),
            Failure("alpha.example", d2, ResultType.CertificateExpired, 6, sendingIp: "198.51.100.1", mx: "mx1.example.com"),
            Failure("alpha.example", d2, ResultType.StarttlsNotSupported, 4, sendingIp: "198.51.100.2", mx: "mx2.example.com"),
            Success("alpha.example", d1, 50),
            enforce,
            // beta.example, 2026-11-28: 10 ok, 10 validation-failure.
            Success("beta.example", d1, 10),
            Failure("beta.example", d1, ResultType.ValidationFailure, 10));
        batch.PolicyFetchOutcomes.Add(FetchOk("alpha.example", d2, "20261127"));
        await relay.ReportOutcomesAsync(batch);

        // Inbound, ours.example: Google for 2026-11-26 (105 sessions, 5 host mismatches), Microsoft for 2026-11-27 (40 ok).
        var import = new ReportImport.ReportImportClient(_daemon.Channel);
        _googleReport = Report("Google Inc.", "g-1", "2026-11-26", 100, 5, """[{"result-type":"certificate-host-mismatch","sending-mta-ip":"209.85.1.1","receiving-mx-hostname":"mx.ours.example","failed-session-count":5}]""");
        await import.ImportReportAsync(new ImportReportRequest { Content = ByteString.CopyFrom(_googleReport) });
        await import.ImportReportAsync(new ImportReportRequest { Content = ByteString.CopyFrom(Report("Microsoft Corporation", "m-1", "2026-11-27", 40, 0, "[]")) });
    }

    public async Task DisposeAsync() => await _daemon.DisposeAsync();

    [Fact]
    public async Task The_readiness_evidence_says_which_reports_are_verified()
    {
        // The same day from two reporters: one imported by an admin (verified), one mailed without a DKIM signature.
        var ingestor = _daemon.Services.GetRequiredService<MtaStsReporting.Daemon.Ingestion.ReportIngestor>();
        var mail = TestReports.ReportMail("unsigned-1", "verify.example", "Unsigned Reporter", successes: 7);
        await ingestor.IngestAsync([new MtaStsReporting.Daemon.Ingestion.InboundItem(new Domain.TlsRpt.ReportSource("imap", "test/INBOX", null), mail, MtaStsReporting.Daemon.Ingestion.InboundKind.Mail)], CancellationToken.None);
        await new ReportImport.ReportImportClient(_daemon.Channel).ImportReportAsync(new ImportReportRequest
        {
            Content = ByteString.CopyFrom(TestReports.Report("admin-1", "verify.example", "Imported Reporter", successes: 5)),
        });

        var queries = _daemon.Services.GetRequiredService<MtaStsReporting.Daemon.Queries.ReportingQueries>();
        var days = await queries.ReportDaysAsync("verify.example", new MtaStsReporting.Daemon.Queries.Days(new DateOnly(2026, 11, 1), new DateOnly(2026, 11, 29)), CancellationToken.None);

        Assert.Equal([("Imported Reporter", 5L, true), ("Unsigned Reporter", 7L, false)],
            days.Select(d => (d.Organization, d.Successes, d.Verified)).Order());
        Assert.All(days, d => Assert.Equal(new DateOnly(2026, 11, 20), d.Day));
    }

    [Fact]
    public async Task The_default_range_holds_the_oldest_outcome_the_relay_api_accepts()
    {
        // Relay:MaxOutcomeAge is 30 days: an outcome 30 days old (2026-10-30) is accepted and must be seen by default; 31 days old is outside.
        var relay = new RelayOutcomes.RelayOutcomesClient(_daemon.Channel);
        await relay.ReportOutcomesAsync(Batch("old-1", Success("old.example", Now.AddDays(-30).AddMinutes(1), 3)));

        var domains = await _query.ListDomainsAsync(new ListDomainsRequest());
        Assert.Equal(3, domains.Domains.Single(d => d.Domain == "old.example").Sessions);
        var trend = await _query.GetDailyTrendAsync(new DomainRequest { Domain = "old.example" });
        var outbound = trend.Series.Single(s => s.Direction == Direction.Outbound);
        Assert.Equal(("2026-10-30", 31, 3L), (outbound.Days[0].Day, outbound.Days.Count, outbound.Days[0].Successes));
    }

    private static byte[] Report(string org, string id, string day, long ok, long failed, string details) => System.Text.Encoding.UTF8.GetBytes($$"""
        {"organization-name":"{{org}}","contact-info":"tlsrpt@{{org.Split(' ')[0].ToLowerInvariant()}}.example","report-id":"{{id}}",
         "date-range":{"start-datetime":"{{day}}T00:00:00Z","end-datetime":"{{day}}T23:59:59Z"},
         "policies":[{"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: testing","mx: mx.ours.example","max_age: 604800"],
           "policy-domain":"ours.example","mx-host":["mx.ours.example"]},
           "summary":{"total-successful-session-count":{{ok}},"total-failure-session-count":{{failed}}},"failure-details":{{details}}}]}
        """);

    private static DayRange Range(string start, string end) => new() { StartDay = start, EndDay = end };

    [Fact]
    public async Task A_range_that_holds_nothing_still_says_which_days_hold_data_in_each_direction()
    {
        var empty = await _query.ListDomainsAsync(new ListDomainsRequest { Range = Range("2025-01-01", "2025-01-31") });
        Assert.Empty(empty.Domains);
        Assert.Equal(("2026-11-26", "2026-11-28"), (empty.FirstDataDay, empty.LastDataDay));

        var outbound = await _query.ListDomainsAsync(new ListDomainsRequest { Range = Range("2025-01-01", "2025-01-31"), Direction = Direction.Outbound });
        Assert.Equal(("2026-11-27", "2026-11-28"), (outbound.FirstDataDay, outbound.LastDataDay));
        var inbound = await _query.ListDomainsAsync(new ListDomainsRequest { Direction = Direction.Inbound });
        Assert.Equal(("2026-11-26", "2026-11-27", 1), (inbound.FirstDataDay, inbound.LastDataDay, inbound.Domains.Count));
    }

    [Fact]
    public async Task A_store_without_data_gives_no_data_days()
    {
        await using var daemon = await InProcessDaemon.StartAsync();
        var none = await new Query.QueryClient(daemon.Channel).ListDomainsAsync(new ListDomainsRequest());
        Assert.Equal(("", "", 0), (none.FirstDataDay, none.LastDataDay, none.Domains.Count));
    }

    [Fact]
    public async Task Domains_are_listed_with_rates_sorted_filtered_and_paged()
    {
        var byRate = await _query.ListDomainsAsync(new ListDomainsRequest());
        Assert.Equal(
            [("beta.example", Direction.Outbound, 20L, 10L, 0.5), ("alpha.example", Direction.Outbound, 160L, 10L, 0.0625), ("ours.example", Direction.Inbound, 145L, 5L, 5.0 / 145)],
            byRate.Domains.Select(d => (d.Domain, d.Direction, d.Sessions, d.Failures, d.FailureRate)));

        var byVolume = await _query.ListDomainsAsync(new ListDomainsRequest { Sort = ListDomainsRequest.Types.Sort.Volume });
        Assert.Equal(["alpha.example", "ours.example", "beta.example"], byVolume.Domains.Select(d => d.Domain));

        var inbound = await _query.ListDomainsAsync(new ListDomainsRequest { Direction = Direction.Inbound });
        Assert.Equal(["ours.example"], inbound.Domains.Select(d => d.Domain));

        var enforce = Assert.Single((await _query.ListDomainsAsync(new ListDomainsRequest { PolicyMode = "enforce" })).Domains);
        Assert.Equal(("alpha.example", 10L, 0L), (enforce.Domain, enforce.Sessions, enforce.Failures));

        // Only the last day: alpha 60 sessions, beta 20.
        var lastDay = await _query.ListDomainsAsync(new ListDomainsRequest { Range = Range("2026-11-28", "2026-11-28"), Sort = ListDomainsRequest.Types.Sort.Volume });
        Assert.Equal([("alpha.example", 60L), ("beta.example", 20L)], lastDay.Domains.Select(d => (d.Domain, d.Sessions)));

        var first = await _query.ListDomainsAsync(new ListDomainsRequest { PageSize = 2 });
        Assert.Equal(2, first.Domains.Count);
        var second = await _query.ListDomainsAsync(new ListDomainsRequest { PageSize = 2, PageToken = first.NextPageToken });
        Assert.Equal(["ours.example"], second.Domains.Select(d => d.Domain));
        Assert.Empty(second.NextPageToken);

        var wrongToken = await Assert.ThrowsAsync<RpcException>(() => _query.ListDomainsAsync(new ListDomainsRequest { PageSize = 2, PageToken = first.NextPageToken, Direction = Direction.Outbound }).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "page_token"), (wrongToken.StatusCode, wrongToken.Status.Detail.Split(':')[0]));
    }

    [Theory]
    // Monday 16 to Friday 27 November: one whole week (no data) and four days after it.
    [InlineData("2026-11-16", "2026-11-27", 100L, 145L)]
    // One day less at the end: Microsoft's report of the 27th and alpha's first day drop out.
    [InlineData("2026-11-16", "2026-11-26", 0L, 105L)]
    // Tuesday to Friday: no whole week, days alone.
    [InlineData("2026-11-24", "2026-11-27", 100L, 145L)]
    // Monday 23 to Sunday 29: the week alone, everything.
    [InlineData("2026-11-23", "2026-11-29", 160L, 145L)]
    // Thursday 26 to Sunday 29 and Saturday 28 to Monday 30: days before a week's end, and across weeks.
    [InlineData("2026-11-26", "2026-11-29", 160L, 145L)]
    [InlineData("2026-11-28", "2026-11-30", 60L, 0L)]
    public async Task The_domain_list_adds_whole_weeks_and_edge_days_to_the_same_totals_as_the_days(string start, string end, long alpha, long ours)
    {
        var domains = (await _query.ListDomainsAsync(new ListDomainsRequest { Range = Range(start, end) })).Domains;

        Assert.Equal(alpha, domains.SingleOrDefault(d => d.Domain == "alpha.example")?.Sessions ?? 0);
        Assert.Equal(ours, domains.SingleOrDefault(d => d.Domain == "ours.example")?.Sessions ?? 0);
    }

    [Fact]
    public async Task A_domain_summary_has_totals_policies_and_reporters()
    {
        var alpha = await _query.GetDomainSummaryAsync(new DomainRequest { Domain = "ALPHA.example." });
        var outbound = alpha.Totals.Single(t => t.Direction == Direction.Outbound);
        Assert.Equal((160L, 10L, "2026-11-28"), (outbound.Sessions, outbound.Failures, outbound.LastSeenDay));
        Assert.Equal((0L, string.Empty), (alpha.Totals.Single(t => t.Direction == Direction.Inbound).Sessions, alpha.Totals.Single(t => t.Direction == Direction.Inbound).LastSeenDay));
        Assert.Equal(
            [("testing", "2026-11-27", "2026-11-28", 150L, "20261127"), ("enforce", "2026-11-28", "2026-11-28", 10L, string.Empty)],
            alpha.Policies.Select(p => (p.Mode, p.FirstDay, p.LastDay, p.Sessions, p.TxtId)));

        var ours = await _query.GetDomainSummaryAsync(new DomainRequest { Domain = "ours.example", Direction = Direction.Inbound });
        Assert.Equal(
            [("Google Inc.", 1L, 105L, 5L, "2026-11-26"), ("Microsoft Corporation", 1L, 40L, 0L, "2026-11-27")],
            ours.Reporters.Select(r => (r.Organization, r.Reports, r.Sessions, r.Failures, r.FirstDay)));
        var policy = Assert.Single(ours.Policies);
        Assert.Equal((Direction.Inbound, "testing", 145L), (policy.Direction, policy.Mode, policy.Sessions));
    }

    [Fact]
    public async Task The_trend_has_every_day_with_failures_per_result_type()
    {
        var trend = await _query.GetDailyTrendAsync(new DomainRequest { Domain = "alpha.example", Range = Range("2026-11-26", "2026-11-29") });

        // One series per direction, never added together; alpha has no inbound data.
        Assert.Equal([Direction.Outbound, Direction.Inbound], trend.Series.Select(s => s.Direction));
        var outbound = trend.Series[0].Days;
        Assert.Equal(["2026-11-26", "2026-11-27", "2026-11-28", "2026-11-29"], outbound.Select(d => d.Day));
        Assert.Equal([(0L, 0L), (90L, 10L), (60L, 0L), (0L, 0L)], outbound.Select(d => (d.Successes, d.Failures)));
        Assert.Equal(new Dictionary<string, long> { ["certificate-expired"] = 6, ["starttls-not-supported"] = 4 }, outbound[1].FailuresByResultType);
        Assert.All(trend.Series[1].Days, d => Assert.Equal((0L, 0L), (d.Successes, d.Failures)));

        var inbound = await _query.GetDailyTrendAsync(new DomainRequest { Domain = "ours.example", Direction = Direction.Inbound, Range = Range("2026-11-26", "2026-11-27") });
        Assert.Equal([(100L, 5L), (40L, 0L)], Assert.Single(inbound.Series).Days.Select(d => (d.Successes, d.Failures)));
    }

    [Fact]
    public async Task Failures_break_down_by_each_dimension()
    {
        async Task<List<(string, long)>> Rows(string domain, Direction direction, BreakdownRequest.Types.Dimension dimension) =>
            (await _query.GetFailureBreakdownAsync(new BreakdownRequest { Domain = domain, Direction = direction, Dimension = dimension })).Rows.Select(r => (r.Key, r.Failures)).ToList();

        Assert.Equal([("certificate-expired", 6L), ("starttls-not-supported", 4L)], await Rows("alpha.example", Direction.Outbound, BreakdownRequest.Types.Dimension.ResultType));
        Assert.Equal([("mx1.example.com", 6L), ("mx2.example.com", 4L)], await Rows("alpha.example", Direction.Outbound, BreakdownRequest.Types.Dimension.ReceivingMx));
        Assert.Equal([("198.51.100.1", 6L), ("198.51.100.2", 4L)], await Rows("alpha.example", Direction.Outbound, BreakdownRequest.Types.Dimension.SendingMtaIp));
        Assert.Equal([("Google Inc.", 5L)], await Rows("ours.example", Direction.Inbound, BreakdownRequest.Types.Dimension.ReportingOrganization));
        var policy = Assert.Single((await _query.GetFailureBreakdownAsync(new BreakdownRequest
        {
            Domain = "alpha.example", Direction = Direction.Outbound, Dimension = BreakdownRequest.Types.Dimension.Policy,
        })).Rows);
        Assert.Equal((10L, "sts mode=testing mx=mx1.example.com,*.backup.example.com"), (policy.Failures, policy.Label));

        var outboundOrgs = await Assert.ThrowsAsync<RpcException>(() => Rows("alpha.example", Direction.Outbound, BreakdownRequest.Types.Dimension.ReportingOrganization));
        Assert.Equal(StatusCode.InvalidArgument, outboundOrgs.StatusCode);
        var noDirection = await Assert.ThrowsAsync<RpcException>(() => Rows("alpha.example", Direction.Unspecified, BreakdownRequest.Types.Dimension.ResultType));
        Assert.StartsWith("direction:", noDirection.Status.Detail);
    }

    [Fact]
    public async Task The_policy_history_joins_fetches_and_reports()
    {
        var history = await _query.GetPolicyHistoryAsync(new DomainRequest { Domain = "alpha.example" });
        Assert.Equal(["testing", "enforce"], history.Policies.Select(p => p.Mode));
        var fetch = Assert.Single(history.Fetches);
        Assert.Equal(("success", "20261127", "testing", 86400L, 1L), (fetch.Result, fetch.TxtId, fetch.Mode, fetch.MaxAge, fetch.Count));
    }

    [Fact]
    public async Task Reports_are_listed_and_fetched_with_their_original_bytes()
    {
        var list = await _query.ListReportsAsync(new ListReportsRequest { Domain = "ours.example" });
        Assert.Equal(["m-1", "g-1"], list.Reports.Select(r => r.ReportId));
        Assert.Equal(["ours.example"], list.Reports[0].PolicyDomains);
        Assert.Equal(["g-1"], (await _query.ListReportsAsync(new ListReportsRequest { Organization = "Google Inc." })).Reports.Select(r => r.ReportId));

        var report = await _query.GetReportAsync(new GetReportRequest { Id = list.Reports[1].Id, IncludeOriginal = true });
        Assert.Equal(("Google Inc.", "grpc", 100L, 5L), (report.Header.Organization, report.Header.SourceKind, report.Policies[0].SuccessCount, report.Policies[0].FailureCount));
        Assert.Equal(("certificate-host-mismatch", 5L), (report.Policies[0].FailureDetails[0].ResultType, report.Policies[0].FailureDetails[0].FailedSessionCount));
        Assert.Equal(_googleReport, report.Original.ToByteArray());
        Assert.True((await _query.GetReportAsync(new GetReportRequest { Id = list.Reports[1].Id })).Original.IsEmpty);
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => _query.GetReportAsync(new GetReportRequest { Id = 999 }).ResponseAsync)).StatusCode);
    }

    [Theory]
    [InlineData("nobody.example", "2026-11-01", "2026-11-29", StatusCode.NotFound, "domain")]
    [InlineData("not a domain", "2026-11-01", "2026-11-29", StatusCode.InvalidArgument, "domain")]
    [InlineData("alpha.example", "2026-11-30", "2026-11-29", StatusCode.InvalidArgument, "range")]
    [InlineData("alpha.example", "2026-13-01", "2026-11-29", StatusCode.InvalidArgument, "range.start_day")]
    [InlineData("alpha.example", "2010-01-01", "2026-11-29", StatusCode.InvalidArgument, "range")]
    public async Task Bad_questions_get_clear_errors(string domain, string start, string end, StatusCode code, string field)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => _query.GetDailyTrendAsync(new DomainRequest { Domain = domain, Range = Range(start, end) }).ResponseAsync);
        Assert.Equal(code, ex.StatusCode);
        Assert.Equal(field, ex.Status.Detail.Split(':')[0]);
    }

    [Fact]
    public async Task The_same_calls_answer_http_json()
    {
        using var http = new HttpClient { BaseAddress = new Uri(_daemon.HttpApiUrl!) };
        var list = JsonDocument.Parse(await http.GetStringAsync("/v1/domains?direction=DIRECTION_OUTBOUND&sort=SORT_VOLUME")).RootElement;
        Assert.Equal(["alpha.example", "beta.example"], list.GetProperty("domains").EnumerateArray().Select(d => d.GetProperty("domain").GetString()));
        Assert.Equal(160, list.GetProperty("domains")[0].GetProperty("sessions").GetInt64());

        var breakdown = JsonDocument.Parse(await http.GetStringAsync("/v1/domains/alpha.example/failures/DIMENSION_RESULT_TYPE?direction=DIRECTION_OUTBOUND&range.startDay=2026-11-01&range.endDay=2026-11-29")).RootElement;
        Assert.Equal("certificate-expired", breakdown.GetProperty("rows")[0].GetProperty("key").GetString());

        var missing = await http.GetAsync("/v1/domains/nobody.example");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("no data for nobody.example", await missing.Content.ReadAsStringAsync());
    }
}
