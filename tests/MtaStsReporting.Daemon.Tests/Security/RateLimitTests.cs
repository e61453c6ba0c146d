using MtaStsReporting.Domain.Access;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Tests.Support;
using MtaStsReporting.Persistence.Security;
using static MtaStsReporting.Daemon.Tests.Support.Outcomes;

namespace MtaStsReporting.Daemon.Tests.Security;

/// <summary>A client over its limits is refused at once; the others are served.</summary>
public sealed class RateLimitTests
{
    [Fact]
    public async Task A_caller_over_its_rate_gets_resource_exhausted_and_others_are_served()
    {
        await using var daemon = await InProcessDaemon.StartAsync(
            "--Security:Authentication=ApiKeys", "--Limits:CallsPerSecondPerCaller=20", "--Limits:MaxMessageBytes=65536");
        var store = daemon.Services.GetRequiredService<ApiKeyStore>();
        var greedy = new Metadata { { "x-api-key", (await store.CreateAsync("greedy", Role.Relay, CancellationToken.None)).Key } };
        var polite = new Metadata { { "x-api-key", (await store.CreateAsync("polite", Role.Relay, CancellationToken.None)).Key } };
        var relay = new RelayOutcomes.RelayOutcomesClient(daemon.Channel);
        var now = InProcessDaemon.DefaultNow;

        async Task<StatusCode> Call(Metadata key, string id)
        {
            try
            {
                await relay.ReportOutcomesAsync(Batch(id, Success("example.com", now)), key);
                return StatusCode.OK;
            }
            catch (RpcException ex)
            {
                return ex.StatusCode;
            }
        }

        var burst = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Call(greedy, $"g-{i}")));
        var meanwhile = new List<StatusCode>();
        for (var i = 0; i < 10; i++)
        {
            meanwhile.Add(await Call(polite, $"p-{i}"));
        }

        Assert.True(burst.Count(c => c == StatusCode.OK) is >= 20 and < 150, $"{burst.Count(c => c == StatusCode.OK)} of 200 went through");
        Assert.Equal(200, burst.Count(c => c is StatusCode.OK or StatusCode.ResourceExhausted));
        Assert.All(meanwhile, c => Assert.Equal(StatusCode.OK, c));
        // Refused calls stored nothing: the total is what was acknowledged.
        Assert.Equal(burst.Count(c => c == StatusCode.OK) + 10, await daemon.Store.TotalSessionsAsync());
        // Health stays open to probes whatever the rate.
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await new Health.HealthClient(daemon.Channel).CheckAsync(new HealthCheckRequest())).Status);

        // A message over Limits:MaxMessageBytes is refused by the gRPC layer.
        var huge = new OutcomeBatch { BatchId = "huge" };
        for (var i = 0; i < 2000; i++)
        {
            huge.SessionOutcomes.Add(Success("example.com", now));
        }

        await Task.Delay(1100); // a fresh second of tokens for the polite key
        var tooBig = await Assert.ThrowsAsync<RpcException>(() => relay.ReportOutcomesAsync(huge, polite).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, tooBig.StatusCode);
    }
}
