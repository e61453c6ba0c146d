using Grpc.Core;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Tests.Support;
using MtaStsReporting.Domain.TlsRpt;
using ApiReport = MtaStsReporting.Api.V1.OutboundReport;

namespace MtaStsReporting.Daemon.Tests.Outbound;

/// <summary>
/// Reports built from relay outcomes and POSTed to real HTTPS endpoints on loopback: retried
/// after a temporary failure, given up after a permanent one or when retries run out, every
/// attempt recorded; destinations from the relay's record or from DNS; the operator switches.
/// </summary>
public sealed class HttpsDeliveryTests(OutboundFixture fixture) : IClassFixture<OutboundFixture>
{
    private static readonly string Yesterday = "2026-11-28";

    private static OutboundReports.OutboundReportsClient Admin(InProcessDaemon daemon) => new(daemon.Channel);

    private static async Task<ApiReport> OnlyReportAsync(InProcessDaemon daemon, Func<ApiReport, bool> until, string what)
    {
        ApiReport? found = null;
        await DovecotServer.EventuallyAsync(async () =>
        {
            var list = await Admin(daemon).ListOutboundReportsAsync(new ListOutboundReportsRequest { From = Yesterday, To = Yesterday });
            found = list.Reports.Count == 1 ? await Admin(daemon).GetOutboundReportAsync(new GetOutboundReportRequest { ReportId = list.Reports[0].ReportId }) : null;
            return found is not null && until(found);
        }, what);
        return found!;
    }

    [Fact]
    public async Task A_report_answered_503_then_202_is_delivered_once_with_both_attempts_recorded_and_reads_back_exactly()
    {
        using var certificate = fixture.Pki.Issue("localhost");
        await using var receiver = await ReportReceiver.StartAsync(certificate, 503, 202);
        await using var daemon = await InProcessDaemon.StartAsync(fixture.DaemonArgs());
        var rua = receiver.Url("/v1/tlsrpt");

        await new RelayOutcomes.RelayOutcomesClient(daemon.Channel).ReportOutcomesAsync(OutboundFixture.Yesterday("b1", "example.com", $"v=TLSRPTv1; rua={rua}"));

        var first = await OnlyReportAsync(daemon, r => r.Deliveries.Single().Attempts == 1 && r.Deliveries.Single().State == "pending", "the first attempt answered 503");
        var pending = first.Deliveries.Single();
        Assert.Equal((rua, "HTTP 503 Service Unavailable"), (pending.Destination, pending.LastAnswer));
        Assert.Equal(InProcessDaemon.DefaultNow.AddMinutes(1), pending.NextAttemptAt.ToDateTimeOffset());
        Assert.Single(receiver.Received);

        // A minute on, the retry is due.
        daemon.Clock.Now = InProcessDaemon.DefaultNow.AddMinutes(1);
        var done = await OnlyReportAsync(daemon, r => r.Deliveries.Single().State == "delivered", "the retry delivered");

        var delivery = done.Deliveries.Single();
        Assert.Equal([(1, rua, "temporary", "HTTP 503 Service Unavailable"), (2, rua, "delivered", "HTTP 202 Accepted")],
            delivery.AttemptLog.Select(a => (a.Attempt, a.SentTo, a.Outcome, a.Answer)));
        Assert.All(delivery.AttemptLog, a => Assert.NotNull(a.FinishedAt));
        var received = receiver.Received.ToArray();
        Assert.Equal(2, received.Length);
        Assert.All(received, r => Assert.Equal(("/v1/tlsrpt", "application/tlsrpt+gzip"), (r.Path, r.MediaType)));
        Assert.Equal(done.Json, received[1].Json);

        // What went out: the strict schema, and our own parser with the same counts and no flags.
        Assert.Empty(ReportSchema.Problems(received[1].Json));
        var read = TlsReportParser.Parse(System.Text.Encoding.UTF8.GetBytes(received[1].Json), new ReportLimits());
        Assert.Empty(read.Report!.Flags);
        Assert.Equal(("Sender Example Org", "mailto:postmaster@sender.example", done.ReportId), (read.Report.OrganizationName, read.Report.ContactInfo, read.Report.ReportId));
        var policy = Assert.Single(read.Report.Policies);
        Assert.Equal(("sts", "example.com", 10L, 2L), (policy.PolicyType, policy.PolicyDomain, policy.TotalSuccessfulSessionCount, policy.TotalFailureSessionCount));
        Assert.Equal(Outcomes.TestingPolicyLines, policy.PolicyStrings);
        var detail = Assert.Single(policy.FailureDetails);
        Assert.Equal(("certificate-expired", 2L, "mx1.example.com", "192.0.2.25", "198.51.100.7"), (detail.ResultType, detail.FailedSessionCount, detail.ReceivingMxHostname, detail.ReceivingIp, detail.SendingMtaIp));
        Assert.Equal((12L, 2L, "example.com", Yesterday), (done.Sessions, done.Failures, done.PolicyDomain, done.Day));

        // Once delivered, nothing more goes out, however long the daemon runs.
        daemon.Clock.Now = InProcessDaemon.DefaultNow.AddDays(3);
        await Task.Delay(600);
        Assert.Equal(2, receiver.Received.Count);
    }

    [Fact]
    public async Task A_404_stops_that_destination_after_one_attempt_and_a_500_that_lasts_is_given_up_at_the_give_up_time()
    {
        using var certificate = fixture.Pki.Issue("localhost");
        await using var gone = await ReportReceiver.StartAsync(certificate, 404);
        await using var broken = await ReportReceiver.StartAsync(certificate, 500);
        await using var daemon = await InProcessDaemon.StartAsync(fixture.DaemonArgs(1, "--Outbound:GiveUpAfter=2m"));

        await new RelayOutcomes.RelayOutcomesClient(daemon.Channel).ReportOutcomesAsync(
            OutboundFixture.Yesterday("b1", "example.com", $"v=TLSRPTv1; rua={gone.Url("/a")},{broken.Url("/b")}"));

        var report = await OnlyReportAsync(daemon, r => r.Deliveries.All(d => d.Attempts == 1 && d.State != "sending"), "first attempts");
        var byUrl = report.Deliveries.ToDictionary(d => d.Destination);
        Assert.Equal(("failed", "HTTP 404 Not Found"), (byUrl[gone.Url("/a")].State, byUrl[gone.Url("/a")].LastAnswer));
        Assert.Equal(("pending", "HTTP 500 Internal Server Error"), (byUrl[broken.Url("/b")].State, byUrl[broken.Url("/b")].LastAnswer));

        // Second attempt at +1 min: the next would be at +2 min, still within the give-up time.
        daemon.Clock.Now = InProcessDaemon.DefaultNow.AddMinutes(1);
        // The attempt count goes up when an attempt is claimed, before its answer: wait for the answer too.
        report = await OnlyReportAsync(daemon, r => r.Deliveries.Single(d => d.Destination == broken.Url("/b")) is { Attempts: 2, State: not "sending" }, "second attempt answered");
        Assert.Equal("pending", report.Deliveries.Single(d => d.Destination == broken.Url("/b")).State);

        // Third at +2 min: the next would fall after it, so the report is given up for that destination.
        daemon.Clock.Now = InProcessDaemon.DefaultNow.AddMinutes(2);
        report = await OnlyReportAsync(daemon, r => r.Deliveries.Single(d => d.Destination == broken.Url("/b")).State == "given-up", "given up");

        Assert.Equal(3, report.Deliveries.Single(d => d.Destination == broken.Url("/b")).AttemptLog.Count);
        Assert.Single(gone.Received);
        Assert.Equal(3, broken.Received.Count);
        daemon.Clock.Now = InProcessDaemon.DefaultNow.AddDays(1);
        await Task.Delay(600);
        Assert.Equal((1, 3), (gone.Received.Count, broken.Received.Count));
    }

    [Fact]
    public async Task A_destination_whose_reports_keep_failing_is_suppressed_and_its_next_report_given_up_without_an_attempt()
    {
        using var certificate = fixture.Pki.Issue("localhost");
        await using var receiver = await ReportReceiver.StartAsync(certificate, 404);
        await using var daemon = await InProcessDaemon.StartAsync(fixture.DaemonArgs(1, "--Outbound:SuppressAfter=1", "--Outbound:SuppressFor=3d"));
        var record = $"v=TLSRPTv1; rua={receiver.Url("/gone")}";
        var relay = new RelayOutcomes.RelayOutcomesClient(daemon.Channel);

        await relay.ReportOutcomesAsync(OutboundFixture.Yesterday("b1", "first.example", record));
        await DovecotServer.EventuallyAsync(async () => (await OnlyReportAsync(daemon, r => true, "built")).Deliveries.Single().State == "failed", "refused");

        // Another day's report to the same destination: no attempt, given up with the reason.
        var dayBefore = OutboundFixture.Yesterday("b2", "second.example", record);
        foreach (var s in dayBefore.SessionOutcomes)
        {
            s.Time = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(InProcessDaemon.DefaultNow.AddDays(-2));
        }

        await relay.ReportOutcomesAsync(dayBefore);
        Api.V1.OutboundReport? second = null;
        await DovecotServer.EventuallyAsync(async () =>
        {
            var list = await Admin(daemon).ListOutboundReportsAsync(new ListOutboundReportsRequest { From = "2026-11-27", To = "2026-11-27" });
            second = list.Reports.SingleOrDefault();
            return second?.Deliveries.Single().State == "given-up";
        }, "the second report given up");

        Assert.Equal(0, second!.Deliveries.Single().Attempts);
        Assert.Equal("the destination is suppressed until 2026-12-02T12:00:00Z: its last reports all failed", second.Deliveries.Single().LastAnswer);
        Assert.Single(receiver.Received);
    }

    [Fact]
    public async Task Without_the_relays_record_the_destinations_come_from_dns_and_a_domain_without_a_record_gets_no_report_recorded_as_such()
    {
        using var certificate = fixture.Pki.Issue("localhost");
        await using var receiver = await ReportReceiver.StartAsync(certificate, 200);
        // The test DNS server refuses names it does not know (a failed look-up, tried again later);
        // it answers for no-record.example with authority, and has no record there.
        await using var dns = await DnsServer.StartAsync(new Dictionary<string, string> { ["_smtp._tls.example.com"] = $"v=TLSRPTv1; rua={receiver.Url("/from-dns")}" },
            ["local=/no-record.example/"]);
        await using var daemon = await InProcessDaemon.StartAsync(fixture.DaemonArgs(1, dns.ServerArg));
        var relay = new RelayOutcomes.RelayOutcomesClient(daemon.Channel);

        await relay.ReportOutcomesAsync(OutboundFixture.Yesterday("b1", "example.com", null));
        await relay.ReportOutcomesAsync(OutboundFixture.Yesterday("b2", "no-record.example", null));

        await DovecotServer.EventuallyAsync(async () => receiver.Received.Count == 1 &&
            (await Admin(daemon).ListOutboundDecisionsAsync(new ListOutboundDecisionsRequest { Day = Yesterday })).Decisions.Count == 2, "report sent and both domains decided");
        var decisions = (await Admin(daemon).ListOutboundDecisionsAsync(new ListOutboundDecisionsRequest { Day = Yesterday })).Decisions;
        Assert.Equal([("example.com", "built", "dns"), ("no-record.example", "no-record", "_smtp._tls.no-record.example: no TXT record starting with v=TLSRPTv1")],
            decisions.Select(d => (d.PolicyDomain, d.Outcome, d.Detail)));
        Assert.Equal("/from-dns", receiver.Received.Single().Path);
        var list = await Admin(daemon).ListOutboundReportsAsync(new ListOutboundReportsRequest { From = Yesterday, To = Yesterday });
        Assert.Equal(["example.com"], list.Reports.Select(r => r.PolicyDomain));
    }

    [Fact]
    public async Task The_operator_switches_pause_redirect_to_a_test_address_and_exclude_and_every_instance_reads_them_from_the_store()
    {
        using var certificate = fixture.Pki.Issue("localhost");
        await using var real = await ReportReceiver.StartAsync(certificate, 200);
        await using var test = await ReportReceiver.StartAsync(certificate, 200);
        await using var daemon = await InProcessDaemon.StartAsync(fixture.DaemonArgs());
        var admin = Admin(daemon);

        var paused = await admin.UpdateOutboundSettingsAsync(new UpdateOutboundSettingsRequest { Paused = true, TestAddress = test.Url("/test"), SetExcludedDomains = true, ExcludedDomains = { "Excluded.Example." } });
        Assert.Equal((true, test.Url("/test")), (paused.Paused, paused.TestAddress));
        Assert.Equal(["excluded.example"], paused.ExcludedDomains);
        var relay = new RelayOutcomes.RelayOutcomesClient(daemon.Channel);
        await relay.ReportOutcomesAsync(OutboundFixture.Yesterday("b1", "example.com", $"v=TLSRPTv1; rua={real.Url("/real")}"));
        await relay.ReportOutcomesAsync(OutboundFixture.Yesterday("b2", "excluded.example", $"v=TLSRPTv1; rua={real.Url("/real")}"));

        // Paused: built, not sent.
        var report = await OnlyReportAsync(daemon, r => r.PolicyDomain == "example.com", "the report built");
        await Task.Delay(600);
        Assert.Equal(("pending", 0), (report.Deliveries.Single().State, report.Deliveries.Single().Attempts));
        Assert.Empty(test.Received);
        var decisions = (await admin.ListOutboundDecisionsAsync(new ListOutboundDecisionsRequest { Day = Yesterday })).Decisions;
        Assert.Equal([("example.com", "built"), ("excluded.example", "excluded")], decisions.Select(d => (d.PolicyDomain, d.Outcome)));

        // Going again: to the test address only, recorded as such.
        await admin.UpdateOutboundSettingsAsync(new UpdateOutboundSettingsRequest { Paused = false });
        report = await OnlyReportAsync(daemon, r => r.Deliveries.Single().State == "delivered", "delivered to the test address");
        Assert.Equal(test.Url("/test"), report.Deliveries.Single().AttemptLog.Single().SentTo);
        Assert.Equal(real.Url("/real"), report.Deliveries.Single().Destination);
        Assert.Single(test.Received);
        Assert.Empty(real.Received);

        // Trusted now: the test address goes, and an admin resends the day to the real destination.
        var cleared = await admin.UpdateOutboundSettingsAsync(new UpdateOutboundSettingsRequest { TestAddress = "" });
        Assert.Equal(("", true), (cleared.TestAddress, cleared.ExcludedDomains.Count == 1));
        Assert.Equal(1, (await admin.ResendOutboundReportsAsync(new ResendOutboundReportsRequest { Day = Yesterday, Domain = "example.com" })).Changed);
        await DovecotServer.EventuallyAsync(() => Task.FromResult(real.Received.Count == 1), "resent to the real destination");
        report = await OnlyReportAsync(daemon, r => r.Deliveries.Single().State == "delivered" && r.Deliveries.Single().Attempts == 2, "delivered again");
        Assert.Equal([test.Url("/test"), real.Url("/real")], report.Deliveries.Single().AttemptLog.Select(a => a.SentTo));
    }

    [Fact]
    public async Task Sessions_postfix_reported_as_datagrams_go_to_the_record_it_saw_once_the_day_is_over()
    {
        using var certificate = fixture.Pki.Issue("localhost");
        await using var receiver = await ReportReceiver.StartAsync(certificate, 200);
        using var dir = new TempDirectory();
        var socket = Path.Combine(dir.Path, "tlsrpt.sock");
        await using var daemon = await InProcessDaemon.StartAsync(fixture.DaemonArgs(1, $"--Collector:Socket={socket}", "--Collector:CommitInterval=50ms"));
        var record = $"v=TLSRPTv1; rua={receiver.Url("/postfix")}";

        using (var sender = new DatagramSender(socket))
        {
            sender.Send(MtaStsReporting.Testing.LibTlsRptDatagrams.Write("dgram.example", record, MtaStsReporting.Testing.LibTlsRptDatagrams.Sts("dgram.example")), 5);
            sender.Send(MtaStsReporting.Testing.LibTlsRptDatagrams.Write("dgram.example", record, MtaStsReporting.Testing.LibTlsRptDatagrams.Sts("dgram.example", true,
                new MtaStsReporting.Testing.LibTlsRptFailure(202, "192.0.2.1", "mx1.dgram.example", ReceivingIp: "198.51.100.9"))), 2);
        }

        await DatagramSender.WaitForAsync(() => daemon.Store.TotalSessionsAsync(), n => n == 7);
        // Today (2026-11-29) is still open: nothing is built.
        await Task.Delay(500);
        Assert.Empty((await Admin(daemon).ListOutboundReportsAsync(new ListOutboundReportsRequest { From = "2026-11-29", To = "2026-11-29" })).Reports);

        // Past midnight and the build delay: the day's report goes to the record Postfix passed on.
        daemon.Clock.Now = new DateTimeOffset(2026, 11, 30, 0, 15, 0, TimeSpan.Zero);
        await DovecotServer.EventuallyAsync(() => Task.FromResult(receiver.Received.Count == 1), "the report sent");

        var json = receiver.Received.Single().Json;
        Assert.Empty(ReportSchema.Problems(json));
        var read = TlsReportParser.Parse(System.Text.Encoding.UTF8.GetBytes(json), new ReportLimits()).Report!;
        Assert.Empty(read.Flags);
        Assert.Equal(DateTimeOffset.Parse("2026-11-29T00:00:00Z"), read.StartDatetime);
        var policy = Assert.Single(read.Policies);
        Assert.Equal(("dgram.example", 5L, 2L), (policy.PolicyDomain, policy.TotalSuccessfulSessionCount, policy.TotalFailureSessionCount));
        var detail = Assert.Single(policy.FailureDetails);
        Assert.Equal(("certificate-host-mismatch", 2L, "mx1.dgram.example", "198.51.100.9"), (detail.ResultType, detail.FailedSessionCount, detail.ReceivingMxHostname, detail.ReceivingIp));
        var decision = Assert.Single((await Admin(daemon).ListOutboundDecisionsAsync(new ListOutboundDecisionsRequest { Day = "2026-11-29" })).Decisions);
        Assert.Equal(("built", "relay"), (decision.Outcome, decision.Detail));
    }

    [Fact]
    public async Task A_daemon_stopped_during_an_attempt_marks_it_interrupted_on_restart_and_never_sends_it_again_until_an_admin_resends()
    {
        using var certificate = fixture.Pki.Issue("localhost");
        await using var receiver = await ReportReceiver.StartAsync(certificate, 200);
        receiver.HangPath = "/slow";
        await using var daemon = await InProcessDaemon.StartAsync(fixture.DaemonArgs());
        await new RelayOutcomes.RelayOutcomesClient(daemon.Channel).ReportOutcomesAsync(
            OutboundFixture.Yesterday("b1", "example.com", $"v=TLSRPTv1; rua={receiver.Url("/slow")}"));
        await DovecotServer.EventuallyAsync(() => Task.FromResult(receiver.Received.Count == 1), "the attempt under way");
        var sending = await OnlyReportAsync(daemon, r => true, "the report");
        Assert.Equal(("sending", 1), (sending.Deliveries.Single().State, sending.Deliveries.Single().Attempts));

        // The daemon goes away while the endpoint has the report but has not answered.
        await daemon.RestartAsync();

        var interrupted = await OnlyReportAsync(daemon, r => r.Deliveries.Single().State == "interrupted", "marked interrupted");
        var attempt = interrupted.Deliveries.Single().AttemptLog.Single();
        Assert.Equal(("interrupted", (Google.Protobuf.WellKnownTypes.Timestamp?)null), (attempt.Outcome, attempt.FinishedAt));
        Assert.Contains("may have been delivered", interrupted.Deliveries.Single().LastAnswer, StringComparison.Ordinal);
        daemon.Clock.Now = InProcessDaemon.DefaultNow.AddDays(1);
        await Task.Delay(600);
        Assert.Single(receiver.Received);

        // An admin who knows it did not arrive sends it again.
        receiver.HangPath = null;
        Assert.Equal(1, (await Admin(daemon).ResendOutboundReportsAsync(new ResendOutboundReportsRequest { ReportId = interrupted.ReportId })).Changed);
        var delivered = await OnlyReportAsync(daemon, r => r.Deliveries.Single().State == "delivered", "delivered on resend");
        Assert.Equal(["interrupted", "delivered"], delivered.Deliveries.Single().AttemptLog.Select(a => a.Outcome));
        Assert.Equal(2, receiver.Received.Count);
    }

    [Fact]
    public async Task Bad_admin_requests_are_refused_with_the_field_named_and_change_nothing()
    {
        await using var daemon = await InProcessDaemon.StartAsync(fixture.DaemonArgs());
        var admin = Admin(daemon);

        async Task<(StatusCode, string)> Refused(Func<Task> call)
        {
            var ex = await Assert.ThrowsAsync<RpcException>(call);
            return (ex.StatusCode, ex.Status.Detail);
        }

        Assert.Equal((StatusCode.InvalidArgument, "test_address: 'ftp://x.example/' is not a mailto: address or an https: URL"),
            await Refused(() => admin.UpdateOutboundSettingsAsync(new UpdateOutboundSettingsRequest { Paused = true, TestAddress = "ftp://x.example/" }).ResponseAsync));
        Assert.StartsWith("excluded_domains: 'not a domain' is not a domain name",
            (await Refused(() => admin.UpdateOutboundSettingsAsync(new UpdateOutboundSettingsRequest { SetExcludedDomains = true, ExcludedDomains = { "ok.example", "not a domain" } }).ResponseAsync)).Item2);
        var settings = await admin.GetOutboundSettingsAsync(new GetOutboundSettingsRequest());
        Assert.Equal((false, "", 0), (settings.Paused, settings.TestAddress, settings.ExcludedDomains.Count));

        Assert.Equal((StatusCode.InvalidArgument, "day: '2026-13-01' is not a day (YYYY-MM-DD)"),
            await Refused(() => admin.RebuildOutboundReportsAsync(new RebuildOutboundReportsRequest { Day = "2026-13-01" }).ResponseAsync));
        Assert.Equal((StatusCode.InvalidArgument, "state: 'sent' is not one of pending, sending, delivered, failed, given-up, interrupted"),
            await Refused(() => admin.ListOutboundReportsAsync(new ListOutboundReportsRequest { State = "sent" }).ResponseAsync));
        Assert.Equal((StatusCode.InvalidArgument, "report_id: give either a report id or a day (with a domain), not both"),
            await Refused(() => admin.ResendOutboundReportsAsync(new ResendOutboundReportsRequest { ReportId = "x", Day = Yesterday }).ResponseAsync));
        Assert.Equal(StatusCode.NotFound, (await Refused(() => admin.GetOutboundReportAsync(new GetOutboundReportRequest { ReportId = "nope" }).ResponseAsync)).Item1);
        Assert.Equal((StatusCode.InvalidArgument, "from: 2026-11-29 is after to 2026-11-28"),
            await Refused(() => admin.ListOutboundReportsAsync(new ListOutboundReportsRequest { From = "2026-11-29", To = Yesterday }).ResponseAsync));
    }
}
