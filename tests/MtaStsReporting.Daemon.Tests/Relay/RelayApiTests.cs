using Microsoft.Extensions.DependencyInjection;
using Grpc.Core;
using Grpc.Health.V1;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Tests.Support;
using static MtaStsReporting.Daemon.Tests.Support.Outcomes;

namespace MtaStsReporting.Daemon.Tests.Relay;

/// <summary>The relay API over a real socket, against a real SQLite file.</summary>
public sealed class RelayApiTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = InProcessDaemon.DefaultNow;
    private InProcessDaemon _daemon = null!;
    private RelayOutcomes.RelayOutcomesClient _client = null!;

    public async Task InitializeAsync()
    {
        _daemon = await InProcessDaemon.StartAsync();
        _client = new RelayOutcomes.RelayOutcomesClient(_daemon.Channel);
    }

    public async Task DisposeAsync() => await _daemon.DisposeAsync();

    [Fact]
    public async Task A_batch_is_stored_as_daily_aggregates_in_the_shape_of_an_rfc_8460_report()
    {
        var yesterday = Now.AddDays(-1);
        var batch = Batch("b-1",
            Success("Example.COM.", Now.AddHours(-1), 40),
            Success("example.com", Now.AddHours(-2), 2),
            Failure("example.com", Now.AddHours(-1), ResultType.CertificateExpired, 3),
            Failure("example.com", Now.AddHours(-3), ResultType.CertificateExpired, 4),
            Failure("example.com", Now.AddHours(-3), ResultType.StarttlsNotSupported, 1, sendingIp: "2001:db8::0:1"),
            Success("example.com", yesterday, 9),
            Success("other.example", Now, 5));
        batch.PolicyFetchOutcomes.Add(FetchOk("example.com", Now.AddHours(-5)));
        batch.PolicyFetchOutcomes.Add(FetchOk("example.com", Now.AddHours(-4)));
        batch.PolicyFetchOutcomes.Add(FetchFailed("example.com", Now.AddHours(-6), 404, "HTTP 404 Not Found"));

        var response = await _client.ReportOutcomesAsync(batch);

        Assert.False(response.Duplicate);
        Assert.Equal(40 + 2 + 3 + 4 + 1 + 9 + 5, response.SessionCount);
        Assert.Equal(3, response.PolicyFetchCount);

        var counts = (await _daemon.Store.CountsAsync("example.com")).OrderBy(r => r.Day).ToList();
        Assert.Equal(2, counts.Count);
        Assert.Equal((DateOnly.FromDateTime(yesterday.UtcDateTime), 9L, 0L), (counts[0].Day, counts[0].SuccessCount, counts[0].FailureCount));
        Assert.Equal((DateOnly.FromDateTime(Now.UtcDateTime), 42L, 8L), (counts[1].Day, counts[1].SuccessCount, counts[1].FailureCount));

        var failures = await _daemon.Store.FailuresAsync("example.com");
        Assert.Equal(2, failures.Count);
        var expired = failures.Single(f => f.ResultType == "certificate-expired");
        Assert.Equal(7, expired.FailedSessionCount);
        Assert.Equal(("198.51.100.7", "mx1.example.com", "192.0.2.25", "X509_V_ERR_CERT_HAS_EXPIRED"),
            (expired.SendingMtaIp, expired.ReceivingMxHostname, expired.ReceivingIp, expired.FailureReasonCode));
        // IPv6 addresses are stored in one canonical spelling.
        Assert.Equal("2001:db8::1", failures.Single(f => f.ResultType == "starttls-not-supported").SendingMtaIp);

        var policy = Assert.Single(await _daemon.Store.PoliciesAsync());
        Assert.Equal("sts", policy.PolicyType);
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(TestingPolicyLines), policy.PolicyStrings);
        Assert.Equal("[\"mx1.example.com\",\"*.backup.example.com\"]", policy.MxHosts);

        var fetches = await _daemon.Store.FetchesAsync("example.com");
        Assert.Equal(2, fetches.Count);
        var ok = fetches.Single(f => f.Result == "success");
        Assert.Equal((2L, "testing", 86400L, "20261101T000000"), (ok.FetchCount, ok.Mode, ok.MaxAge, ok.TxtId));
        Assert.Equal(Now.AddHours(-5), ok.FirstSeen);
        Assert.Equal(Now.AddHours(-4), ok.LastSeen);
        var failed = fetches.Single(f => f.Result == "sts-policy-fetch-error");
        Assert.Equal((404, "HTTP 404 Not Found"), (failed.HttpStatus, failed.FailureReason));
    }

    [Fact]
    public async Task A_retried_batch_is_accepted_and_counted_once()
    {
        var batch = Batch("retry-me", Success("example.com", Now, 10), Failure("example.com", Now, ResultType.ValidationFailure, 2));

        var first = await _client.ReportOutcomesAsync(batch);
        var second = await _client.ReportOutcomesAsync(batch);

        Assert.False(first.Duplicate);
        Assert.True(second.Duplicate);
        Assert.Equal(0, second.SessionCount);
        var row = Assert.Single(await _daemon.Store.CountsAsync("example.com"));
        Assert.Equal((10L, 2L), (row.SuccessCount, row.FailureCount));
        Assert.Equal(2, Assert.Single(await _daemon.Store.FailuresAsync("example.com")).FailedSessionCount);
    }

    [Fact]
    public async Task Concurrent_calls_share_commits_and_every_one_is_counted()
    {
        const int calls = 400;
        var tasks = Enumerable.Range(0, calls).Select(i =>
            _client.ReportOutcomesAsync(Batch($"c-{i}", Success($"d{i % 7}.example", Now, i + 1), Failure($"d{i % 7}.example", Now, ResultType.CertificateNotTrusted))).ResponseAsync);
        // The same ids again, concurrently with the first round: each must count once.
        var retries = Enumerable.Range(0, calls).Select(i =>
            _client.ReportOutcomesAsync(Batch($"c-{i}", Success($"d{i % 7}.example", Now, i + 1), Failure($"d{i % 7}.example", Now, ResultType.CertificateNotTrusted))).ResponseAsync);

        var responses = await Task.WhenAll(tasks.Concat(retries));

        Assert.Equal(calls, responses.Count(r => !r.Duplicate));
        Assert.Equal(calls, responses.Count(r => r.Duplicate));
        var expected = Enumerable.Range(1, calls).Sum() + calls;
        Assert.Equal(expected, await _daemon.Store.TotalSessionsAsync());
        Assert.Equal(calls, (await _daemon.Store.BatchesAsync()).Count);

        // Shared: 800 calls in flight together cannot have needed a transaction each.
        var store = _daemon.Services.GetRequiredService<MtaStsReporting.Persistence.Store.ReportingStore>().Health;
        Assert.True(store.LargestGroup > 1, $"largest group {store.LargestGroup}");
        Assert.True(store.GroupCommits < 2 * calls, $"{store.GroupCommits} group commits for {2 * calls} calls");
    }

    [Fact]
    public async Task A_stream_of_single_outcomes_is_one_batch_committed_at_the_end()
    {
        using var call = _client.StreamOutcomes();
        for (var i = 0; i < 1000; i++)
        {
            var message = new OutcomeBatch { BatchId = i == 0 ? "stream-1" : string.Empty };
            message.SessionOutcomes.Add(i % 10 == 0 ? Failure("stream.example", Now, ResultType.CertificateHostMismatch) : Success("stream.example", Now));
            await call.RequestStream.WriteAsync(message);
        }

        await call.RequestStream.CompleteAsync();
        var response = await call;

        Assert.Equal(1000, response.SessionCount);
        var row = Assert.Single(await _daemon.Store.CountsAsync("stream.example"));
        Assert.Equal((900L, 100L), (row.SuccessCount, row.FailureCount));

        // The same stream again is a duplicate.
        using var again = _client.StreamOutcomes();
        await again.RequestStream.WriteAsync(Batch("stream-1", Success("stream.example", Now)));
        await again.RequestStream.CompleteAsync();
        Assert.True((await again).Duplicate);
        Assert.Equal(1000, (await _daemon.Store.CountsAsync("stream.example")).Sum(r => r.SuccessCount + r.FailureCount));
    }

    [Fact]
    public async Task A_stream_with_one_bad_message_stores_nothing()
    {
        using var call = _client.StreamOutcomes();
        await call.RequestStream.WriteAsync(Batch("stream-bad", Success("good.example", Now)));
        await call.RequestStream.WriteAsync(Batch(string.Empty, Success("good.example", Now)));
        var bad = Success("good.example", Now);
        bad.Count = 0;
        await call.RequestStream.WriteAsync(Batch(string.Empty, Success("good.example", Now), bad));

        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await call.RequestStream.CompleteAsync();
            await call;
        });

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith("messages[2].session_outcomes[1].count:", ex.Status.Detail);
        Assert.Empty(await _daemon.Store.CountsAsync());
        Assert.Empty(await _daemon.Store.BatchesAsync());
    }

    [Fact]
    public async Task A_stream_that_changes_its_batch_id_is_refused()
    {
        using var call = _client.StreamOutcomes();
        await call.RequestStream.WriteAsync(Batch("s-a", Success("good.example", Now)));
        await call.RequestStream.WriteAsync(Batch("s-b", Success("good.example", Now)));
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await call.RequestStream.CompleteAsync();
            await call;
        });

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("messages[1].batch_id", ex.Status.Detail);
        Assert.Empty(await _daemon.Store.CountsAsync());
    }

    [Fact]
    public async Task An_invalid_item_fails_the_whole_batch_naming_field_and_index()
    {
        var bad = Failure("example.com", Now, ResultType.CertificateExpired);
        bad.Failure.SendingMtaIp = "198.51.100.300";
        var batch = Batch("bad-1", Success("example.com", Now), Success("example.com", Now), bad);

        var ex = await Assert.ThrowsAsync<RpcException>(() => _client.ReportOutcomesAsync(batch).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith("session_outcomes[2].failure.sending_mta_ip:", ex.Status.Detail);
        Assert.Contains("198.51.100.300", ex.Status.Detail);
        Assert.Empty(await _daemon.Store.CountsAsync());
        Assert.Empty(await _daemon.Store.BatchesAsync());

        // The id was not used up: the corrected batch goes through.
        bad.Failure.SendingMtaIp = "198.51.100.30";
        Assert.False((await _client.ReportOutcomesAsync(batch)).Duplicate);
    }

    [Fact]
    public async Task An_oversized_batch_is_refused()
    {
        var batch = new OutcomeBatch { BatchId = "huge" };
        for (var i = 0; i < 10_001; i++)
        {
            batch.SessionOutcomes.Add(Success("example.com", Now));
        }

        var ex = await Assert.ThrowsAsync<RpcException>(() => _client.ReportOutcomesAsync(batch).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("at most 10000", ex.Status.Detail);
        Assert.Empty(await _daemon.Store.CountsAsync());
    }

    [Fact]
    public async Task Outcomes_survive_a_restart()
    {
        await _client.ReportOutcomesAsync(Batch("before-restart", Success("example.com", Now, 3)));

        await _daemon.RestartAsync();
        _client = new RelayOutcomes.RelayOutcomesClient(_daemon.Channel);

        Assert.Equal(3, Assert.Single(await _daemon.Store.CountsAsync("example.com")).SuccessCount);
        Assert.True((await _client.ReportOutcomesAsync(Batch("before-restart", Success("example.com", Now, 3)))).Duplicate);
    }

    [Fact]
    public async Task Health_service_reports_serving()
    {
        var health = new Health.HealthClient(_daemon.Channel);
        var response = await health.CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task Reflection_lists_the_relay_service()
    {
        var reflection = new Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(_daemon.Channel);
        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = string.Empty });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("mtasts.reporting.v1.RelayOutcomes", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }
}
