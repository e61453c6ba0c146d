using MtaStsReporting.Domain.Names;
using MtaStsReporting.Domain.TlsRpt.Outbound;
using MtaStsReporting.Persistence.Outbound;
using MtaStsReporting.Persistence.RelayOutcomes;
using MtaStsReporting.Persistence.Store;
using MtaStsReporting.Persistence.Tests.Support;

namespace MtaStsReporting.Persistence.Tests.Outbound;

/// <summary>
/// The sending side's state: a day is decided once, an attempt is claimed by one sender and
/// written before it starts, an unfinished attempt is never repeated by itself, and a destination
/// that keeps failing is suppressed.
/// </summary>
public sealed class OutboundReportStoreTests
{
    private static readonly DateTimeOffset Now = TestStore.DefaultNow;
    private static readonly DateOnly Yesterday = new(2026, 11, 28);
    private static readonly ReportSubmitter Submitter = new("Sender Org", "mailto:postmaster@sender.example", "sender.example");
    private static readonly Uri Mail = new("mailto:tlsrpt@example.com");
    private static readonly Uri Web = new("https://reports.example.com/v1");

    private static async Task RelayAsync(TestStore t, string id, string domain, DateTimeOffset at, long ok, long failed, string? record = null)
    {
        var delta = Rows.Delta(domain, at, ok, failed);
        if (record is not null)
        {
            delta.AddTlsRptRecord(DateOnly.FromDateTime(at.UtcDateTime), DomainName.Parse(domain), record);
        }

        await t.Store.Relay.CommitAsync(new PendingBatch(id, delta), CancellationToken.None);
    }

    private static BuiltReport Built(OutboundDayCounts counts, params Uri[] rua) =>
        new(OutboundReportBuilder.Build(Submitter, counts.Day, counts.PolicyDomain, rua, counts.Policies), "relay", Now);

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task A_days_counts_read_back_per_domain_with_the_record_the_relays_saw_and_a_decided_day_is_not_read_again(StoreProvider engine)
    {
        await using var t = await TestStore.OpenAsync(engine);
        var dayStart = new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);
        await RelayAsync(t, "a", "example.com", dayStart, 10, 2, "v=TLSRPTv1; rua=mailto:tlsrpt@example.com");
        await RelayAsync(t, "b", "example.com", dayStart.AddHours(5), 5, 1);
        await RelayAsync(t, "c", "other.example", dayStart, 3, 0);
        await RelayAsync(t, "d", "example.com", Now, 1, 0);

        Assert.Equal([Yesterday, Yesterday.AddDays(1)], await t.Store.Outbound.UndecidedDaysAsync(Yesterday.AddDays(-3), Yesterday.AddDays(1), CancellationToken.None));
        Assert.Equal([Yesterday], await t.Store.Outbound.UndecidedDaysAsync(Yesterday.AddDays(-3), Yesterday, CancellationToken.None));
        var days = await t.Store.Outbound.ReadUndecidedAsync(Yesterday, null, CancellationToken.None);

        Assert.Equal(["example.com", "other.example"], days.Select(d => d.PolicyDomain));
        Assert.Equal(("v=TLSRPTv1; rua=mailto:tlsrpt@example.com", (string?)null), (days[0].TlsRptRecord, days[1].TlsRptRecord));
        var policy = Assert.Single(days[0].Policies);
        Assert.Equal(("sts", 15L, 3L), (policy.PolicyType, policy.TotalSuccessfulSessionCount, policy.TotalFailureSessionCount));
        Assert.Equal(Rows.Testing.PolicyStrings, policy.PolicyStrings);
        Assert.Equal(["mx.example.com"], policy.MxHosts);
        var detail = Assert.Single(policy.FailureDetails);
        Assert.Equal(("certificate-expired", "192.0.2.1", "mx.example.com", "198.51.100.7", 3L), (detail.ResultType, detail.SendingMtaIp, detail.ReceivingMxHostname, detail.ReceivingIp, detail.FailedSessionCount));

        Assert.Equal(1, await t.Store.Outbound.DecideAsync([Built(days[0], Mail)], [new OutboundSkip(Yesterday, "other.example", "no-record", "no TXT record")], CancellationToken.None));

        Assert.Empty(await t.Store.Outbound.ReadUndecidedAsync(Yesterday, null, CancellationToken.None));
        Assert.Equal([Yesterday.AddDays(1)], await t.Store.Outbound.UndecidedDaysAsync(Yesterday.AddDays(-3), Yesterday.AddDays(1), CancellationToken.None));
        Assert.Equal([("example.com", "built", "relay"), ("other.example", "no-record", "no TXT record")],
            (await t.Store.Outbound.DecisionsAsync(Yesterday, CancellationToken.None)).Select(d => (d.PolicyDomain, d.Outcome, d.Detail)));
        Assert.Single(await t.Store.Outbound.ReadUndecidedAsync(Yesterday.AddDays(1), "example.com", CancellationToken.None));
        Assert.Empty(await t.Store.Outbound.ReadUndecidedAsync(Yesterday.AddDays(1), "other.example", CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task A_day_decided_by_another_instance_is_not_stored_twice(StoreProvider engine)
    {
        await using var t = await TestStore.OpenAsync(engine);
        await using var other = await t.OpenAnotherAsync();
        await RelayAsync(t, "a", "example.com", Now.AddDays(-1), 4, 0);
        var day = Assert.Single(await t.Store.Outbound.ReadUndecidedAsync(Yesterday, null, CancellationToken.None));

        Assert.Equal(1, await t.Store.Outbound.DecideAsync([Built(day, Mail)], [], CancellationToken.None));
        Assert.Equal(0, await other.Outbound.DecideAsync([Built(day, Mail, Web)], [], CancellationToken.None));

        var report = Assert.Single(await t.Store.Outbound.ListAsync(Yesterday, Yesterday, null, null, 0, 10, CancellationToken.None));
        Assert.Equal([Mail.OriginalString], report.Deliveries.Select(d => d.Destination));
    }

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task An_attempt_is_claimed_once_recorded_with_its_answer_and_retried_when_due(StoreProvider engine)
    {
        await using var t = await TestStore.OpenAsync(engine);
        await using var other = await t.OpenAnotherAsync();
        await RelayAsync(t, "a", "example.com", Now.AddDays(-1), 4, 0);
        var day = Assert.Single(await t.Store.Outbound.ReadUndecidedAsync(Yesterday, null, CancellationToken.None));
        var built = Built(day, Mail) with { FirstAttempt = Now.AddMinutes(10) };
        await t.Store.Outbound.DecideAsync([built], [], CancellationToken.None);
        var id = built.Report.ReportId;

        // Not due before its first attempt.
        Assert.Empty(await t.Store.Outbound.DueAsync(Now.AddMinutes(10).AddMilliseconds(-1), 10, CancellationToken.None));
        Assert.Null(await t.Store.Outbound.StartAttemptAsync(id, Mail.OriginalString, Mail.OriginalString, "one", CancellationToken.None));
        Assert.Equal(Now.AddMinutes(10), await t.Store.Outbound.NextDueAsync(CancellationToken.None));

        t.Clock.Now = Now.AddMinutes(10);
        var due = Assert.Single(await t.Store.Outbound.DueAsync(t.Clock.Now, 10, CancellationToken.None));
        Assert.Equal((id, Mail.OriginalString, Yesterday, "example.com", 0), (due.ReportId, due.Destination, due.Day, due.PolicyDomain, due.Attempts));
        Assert.Equal(1, await t.Store.Outbound.StartAttemptAsync(id, Mail.OriginalString, "mailto:test@sender.example", "one", CancellationToken.None));
        // The other instance cannot start the same attempt.
        Assert.Null(await other.Outbound.StartAttemptAsync(id, Mail.OriginalString, Mail.OriginalString, "two", CancellationToken.None));
        Assert.Empty(await t.Store.Outbound.DueAsync(t.Clock.Now, 10, CancellationToken.None));

        await t.Store.Outbound.FinishAttemptAsync(id, Mail.OriginalString, 1, "one",
            new AttemptResult("temporary", "451 4.3.0 try later", DeliveryStates.Pending, Now.AddMinutes(15), false), (_, _) => null, CancellationToken.None);
        t.Clock.Now = Now.AddMinutes(15);
        Assert.Equal(2, await t.Store.Outbound.StartAttemptAsync(id, Mail.OriginalString, Mail.OriginalString, "one", CancellationToken.None));
        await t.Store.Outbound.FinishAttemptAsync(id, Mail.OriginalString, 2, "one",
            new AttemptResult("delivered", "250 2.0.0 queued", DeliveryStates.Delivered, null, false), (_, _) => null, CancellationToken.None);

        var report = await t.Store.Outbound.GetAsync(id, CancellationToken.None);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(built.Report.Json), report!.Json);
        var delivery = Assert.Single(report.Deliveries);
        Assert.Equal((DeliveryStates.Delivered, 2, "250 2.0.0 queued"), (delivery.State, delivery.Attempts, delivery.LastAnswer));
        Assert.Equal([(1, "mailto:test@sender.example", "temporary", "451 4.3.0 try later", (DateTimeOffset?)Now.AddMinutes(10)), (2, Mail.OriginalString, "delivered", "250 2.0.0 queued", Now.AddMinutes(15))],
            delivery.AttemptLog.Select(a => (a.Attempt, a.SentTo, a.Outcome, a.Answer!, a.FinishedAt)));
        Assert.Null(await t.Store.Outbound.GetAsync("unknown", CancellationToken.None));
        Assert.Null(await t.Store.Outbound.NextDueAsync(CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task An_attempt_left_unfinished_by_a_dead_sender_is_marked_interrupted_and_not_sent_again_until_resent(StoreProvider engine)
    {
        await using var t = await TestStore.OpenAsync(engine);
        await RelayAsync(t, "a", "example.com", Now.AddDays(-1), 4, 0);
        var day = Assert.Single(await t.Store.Outbound.ReadUndecidedAsync(Yesterday, null, CancellationToken.None));
        var built = Built(day, Mail, Web);
        await t.Store.Outbound.DecideAsync([built], [], CancellationToken.None);
        var id = built.Report.ReportId;
        Assert.Equal(1, await t.Store.Outbound.StartAttemptAsync(id, Mail.OriginalString, Mail.OriginalString, "dead", CancellationToken.None));
        Assert.Equal(1, await t.Store.Outbound.StartAttemptAsync(id, Web.OriginalString, Web.OriginalString, "alive", CancellationToken.None));

        Assert.Equal(1, await t.Store.Outbound.InterruptOthersAsync("alive", CancellationToken.None));

        var deliveries = (await t.Store.Outbound.GetAsync(id, CancellationToken.None))!.Deliveries;
        Assert.Equal([(Web.OriginalString, DeliveryStates.Sending), (Mail.OriginalString, DeliveryStates.Interrupted)], deliveries.OrderBy(d => d.Destination != Web.OriginalString).Select(d => (d.Destination, d.State)));
        Assert.Equal("interrupted", deliveries.Single(d => d.Destination == Mail.OriginalString).AttemptLog.Single().Outcome);
        Assert.Empty(await t.Store.Outbound.DueAsync(Now.AddDays(10), 10, CancellationToken.None));

        // An admin resends: pending again from now, its history kept; a delivery still sending is left alone.
        t.Clock.Now = Now.AddHours(1);
        Assert.Equal(1, await t.Store.Outbound.ResendAsync(Yesterday, "example.com", CancellationToken.None));
        var due = Assert.Single(await t.Store.Outbound.DueAsync(t.Clock.Now, 10, CancellationToken.None));
        Assert.Equal((Mail.OriginalString, 1, Now.AddHours(1)), (due.Destination, due.Attempts, due.FirstAttemptAt));
        Assert.Equal(2, await t.Store.Outbound.StartAttemptAsync(id, Mail.OriginalString, Mail.OriginalString, "alive", CancellationToken.None));

        // A sender whose commits failed, with nothing in flight, marks its own stuck attempts too.
        Assert.Equal(2, await t.Store.Outbound.InterruptOthersAsync("", CancellationToken.None));
        Assert.All((await t.Store.Outbound.GetAsync(id, CancellationToken.None))!.Deliveries, d => Assert.Equal(DeliveryStates.Interrupted, d.State));
    }

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task A_destination_that_fails_report_after_report_is_suppressed_and_a_delivery_clears_its_record(StoreProvider engine)
    {
        await using var t = await TestStore.OpenAsync(engine);
        var schedule = DeliverySchedule.Default;
        for (var i = 0; i < 4; i++)
        {
            await RelayAsync(t, $"r{i}", $"d{i}.example", Now.AddDays(-1), 1, 0);
        }

        var days = await t.Store.Outbound.ReadUndecidedAsync(Yesterday, null, CancellationToken.None);
        var built = days.Select(d => Built(d, Web)).ToList();
        await t.Store.Outbound.DecideAsync(built, [], CancellationToken.None);

        async Task Fail(BuiltReport b) => await Finish(b, new AttemptResult("permanent", "HTTP 404 Not Found", DeliveryStates.Failed, null, true));
        async Task Finish(BuiltReport b, AttemptResult result)
        {
            var attempt = await t.Store.Outbound.StartAttemptAsync(b.Report.ReportId, Web.OriginalString, Web.OriginalString, "one", CancellationToken.None);
            await t.Store.Outbound.FinishAttemptAsync(b.Report.ReportId, Web.OriginalString, attempt!.Value, "one", result, schedule.SuppressedUntil, CancellationToken.None);
        }

        await Fail(built[0]);
        await Fail(built[1]);
        Assert.Empty(await t.Store.Outbound.SuppressedAsync(Now, CancellationToken.None));
        await Finish(built[2], new AttemptResult("delivered", "HTTP 200 OK", DeliveryStates.Delivered, null, false));
        await Fail(built[3]);
        // Two failures, a delivery, one failure: the count started again.
        Assert.Empty(await t.Store.Outbound.SuppressedAsync(Now, CancellationToken.None));

        await t.Store.Outbound.ResendAsync(built[0].Report.ReportId, CancellationToken.None);
        await t.Store.Outbound.ResendAsync(built[1].Report.ReportId, CancellationToken.None);
        await Fail(built[0]);
        await Fail(built[1]);

        var suppressed = await t.Store.Outbound.SuppressedAsync(Now, CancellationToken.None);
        Assert.Equal(Now + schedule.SuppressFor, suppressed[Web.OriginalString]);
        Assert.Empty(await t.Store.Outbound.SuppressedAsync(Now + schedule.SuppressFor, CancellationToken.None));

        await t.Store.Outbound.ResendAsync(built[2].Report.ReportId, CancellationToken.None);
        Assert.True(await t.Store.Outbound.GiveUpAsync(built[2].Report.ReportId, Web.OriginalString, "suppressed", CancellationToken.None));
        Assert.False(await t.Store.Outbound.GiveUpAsync(built[2].Report.ReportId, Web.OriginalString, "suppressed", CancellationToken.None));
        Assert.Equal([built[2].Report.ReportId], (await t.Store.Outbound.ListAsync(Yesterday, Yesterday, null, DeliveryStates.GivenUp, 0, 10, CancellationToken.None)).Select(r => r.ReportId));
    }

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task A_rebuilt_day_keeps_its_report_id_takes_the_new_counts_and_starts_its_deliveries_over(StoreProvider engine)
    {
        await using var t = await TestStore.OpenAsync(engine);
        await RelayAsync(t, "a", "example.com", Now.AddDays(-1), 4, 0);
        var first = Built(Assert.Single(await t.Store.Outbound.ReadUndecidedAsync(Yesterday, null, CancellationToken.None)), Mail);
        await t.Store.Outbound.DecideAsync([first], [], CancellationToken.None);
        await t.Store.Outbound.StartAttemptAsync(first.Report.ReportId, Mail.OriginalString, Mail.OriginalString, "one", CancellationToken.None);
        await t.Store.Outbound.FinishAttemptAsync(first.Report.ReportId, Mail.OriginalString, 1, "one",
            new AttemptResult("delivered", "250 ok", DeliveryStates.Delivered, null, false), (_, _) => null, CancellationToken.None);
        await RelayAsync(t, "late", "example.com", Now.AddDays(-1), 6, 0);

        Assert.Equal(1, await t.Store.Outbound.RebuildAsync(Yesterday, "example.com", CancellationToken.None));
        Assert.Equal(0, await t.Store.Outbound.RebuildAsync(Yesterday, "other.example", CancellationToken.None));
        var again = Built(Assert.Single(await t.Store.Outbound.ReadUndecidedAsync(Yesterday, null, CancellationToken.None)), Mail) with { FirstAttempt = Now.AddHours(2) };
        Assert.Equal(1, await t.Store.Outbound.DecideAsync([again], [], CancellationToken.None));

        var report = Assert.Single(await t.Store.Outbound.ListAsync(Yesterday, Yesterday, "example.com", null, 0, 10, CancellationToken.None));
        Assert.Equal((first.Report.ReportId, 10L), (report.ReportId, report.Sessions));
        var delivery = Assert.Single(report.Deliveries);
        Assert.Equal((DeliveryStates.Pending, 1, Now.AddHours(2)), (delivery.State, delivery.Attempts, delivery.NextAttemptAt));
    }
}
