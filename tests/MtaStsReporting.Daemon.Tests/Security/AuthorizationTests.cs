using MtaStsReporting.Domain.Access;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Tests.Support;
using MtaStsReporting.Persistence.Security;

namespace MtaStsReporting.Daemon.Tests.Security;

/// <summary>Every RPC of the API with every role, with a revoked key, a forged key and none.</summary>
public sealed class AuthorizationTests : IAsyncLifetime
{
    private static readonly ServiceDescriptor[] Services =
    [
        RelayReflection.Descriptor.FindTypeByName<ServiceDescriptor>("RelayOutcomes"),
        ReportsReflection.Descriptor.FindTypeByName<ServiceDescriptor>("ReportImport"),
        QueryReflection.Descriptor.FindTypeByName<ServiceDescriptor>("Query"),
        ReadinessReflection.Descriptor.FindTypeByName<ServiceDescriptor>("Readiness"),
        OutboundReflection.Descriptor.FindTypeByName<ServiceDescriptor>("OutboundReports"),
        PolicyReflection.Descriptor.FindTypeByName<ServiceDescriptor>("Policies"),
    ];

    private InProcessDaemon _daemon = null!;
    private readonly Dictionary<string, string> _keys = [];

    public async Task InitializeAsync()
    {
        _daemon = await InProcessDaemon.StartAsync("--Security:Authentication=ApiKeys", "--Security:KeyCacheTime=00:00:00");
        var store = _daemon.Services.GetRequiredService<ApiKeyStore>();
        foreach (var role in new[] { Role.Relay, Role.Reader, Role.Admin })
        {
            _keys[role.ToString()] = (await store.CreateAsync("test " + role, role, CancellationToken.None)).Key;
        }

        var (revoked, key) = await store.CreateAsync("revoked", Role.Admin, CancellationToken.None);
        await store.RevokeAsync(revoked.Id, CancellationToken.None);
        _keys["revoked"] = key;
        _keys["forged"] = "msr_" + revoked.Id + "_not-the-secret";
    }

    public async Task DisposeAsync() => await _daemon.DisposeAsync();

    [Theory]
    [InlineData("none", 401)]
    [InlineData("forged", 401)]
    [InlineData("revoked", 401)]
    [InlineData("Relay", 403)]
    [InlineData("Reader", 200)]
    [InlineData("Admin", 200)]
    public async Task With_keys_the_metrics_are_for_readers(string caller, int status)
    {
        foreach (var url in new[] { _daemon.HttpApiUrl!, _daemon.Url })
        {
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
            if (url == _daemon.Url)
            {
                // The gRPC listener speaks HTTP/2 without TLS (prior knowledge).
                request.Version = System.Net.HttpVersion.Version20;
                request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
            }

            if (caller != "none")
            {
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _keys[caller]);
            }

            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(status == (int)response.StatusCode, $"{url}: {(int)response.StatusCode} {body}");
            Assert.Equal(status == 200, body.Contains("# TYPE", StringComparison.Ordinal));
        }
    }

    public static TheoryData<string, string> Calls()
    {
        var data = new TheoryData<string, string>();
        foreach (var service in Services)
        {
            foreach (var method in service.Methods)
            {
                foreach (var caller in new[] { "none", "Relay", "Reader", "Admin", "revoked", "forged" })
                {
                    data.Add($"{service.FullName}/{method.Name}", caller);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task Each_call_is_allowed_only_to_its_roles(string fullMethod, string caller)
    {
        var service = Services.Single(s => fullMethod.StartsWith(s.FullName + "/", StringComparison.Ordinal));
        var method = service.Methods.Single(m => m.Name == fullMethod[(service.FullName.Length + 1)..]);
        var allowed = service.Name switch
        {
            "RelayOutcomes" => new[] { "Relay", "Admin" },
            "Query" or "Readiness" => ["Reader", "Admin"],
            _ => ["Admin"],
        };

        var code = await CallAsync(method, caller == "none" ? null : _keys[caller]);

        if (caller is "none" or "revoked" or "forged")
        {
            Assert.Equal(StatusCode.Unauthenticated, code);
        }
        else if (allowed.Contains(caller))
        {
            // Past the gate: the call answers the empty request itself (served, or refused as
            // invalid or unknown), never for want of rights, and never with a crash (Unknown, Internal).
            Assert.Contains(code, new[] { StatusCode.OK, StatusCode.InvalidArgument, StatusCode.NotFound });
        }
        else
        {
            Assert.Equal(StatusCode.PermissionDenied, code);
        }
    }

    [Theory]
    // Security:KeyCacheTime 10 s: a revoked key works until its cached check runs out, and not a moment longer.
    [InlineData(9, StatusCode.OK)]
    [InlineData(10, StatusCode.Unauthenticated)]
    public async Task A_revoked_key_stops_working_when_its_cached_check_runs_out(int secondsLater, StatusCode expected)
    {
        await using var daemon = await InProcessDaemon.StartAsync("--Security:Authentication=ApiKeys", "--Security:KeyCacheTime=00:00:10");
        var store = daemon.Services.GetRequiredService<ApiKeyStore>();
        var (info, key) = await store.CreateAsync("soon revoked", Role.Reader, CancellationToken.None);
        var query = new Query.QueryClient(daemon.Channel);
        var headers = new Metadata { { "x-api-key", key } };
        await query.ListDomainsAsync(new ListDomainsRequest(), headers); // checked and cached

        await store.RevokeAsync(info.Id, CancellationToken.None);
        daemon.Clock.Now += TimeSpan.FromSeconds(secondsLater);
        StatusCode code;
        try
        {
            await query.ListDomainsAsync(new ListDomainsRequest(), headers);
            code = StatusCode.OK;
        }
        catch (RpcException ex)
        {
            code = ex.StatusCode;
        }

        Assert.Equal(expected, code);
    }

    [Fact]
    public async Task Health_is_open_and_keys_work_as_bearer_or_x_api_key()
    {
        var health = await new Health.HealthClient(_daemon.Channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);

        var query = new Query.QueryClient(_daemon.Channel);
        await query.ListDomainsAsync(new ListDomainsRequest(), new Metadata { { "x-api-key", _keys["Reader"] } });
        await query.ListDomainsAsync(new ListDomainsRequest(), new Metadata { { "authorization", "Bearer " + _keys["Reader"] } });

        using var http = new HttpClient { BaseAddress = new Uri(_daemon.HttpApiUrl!) };
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await http.GetAsync("/v1/domains")).StatusCode);
        http.DefaultRequestHeaders.Add("x-api-key", _keys["Reader"]);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("/v1/domains")).StatusCode);
    }

    private async Task<StatusCode> CallAsync(MethodDescriptor descriptor, string? key)
    {
        var marshaller = (MessageDescriptor type) => Marshallers.Create<IMessage>(m => m.ToByteArray(), b => type.Parser.ParseFrom(b));
        var method = new Method<IMessage, IMessage>(
            descriptor.IsClientStreaming ? MethodType.ClientStreaming : MethodType.Unary,
            descriptor.Service.FullName, descriptor.Name, marshaller(descriptor.InputType), marshaller(descriptor.OutputType));
        var headers = key is null ? new Metadata() : new Metadata { { "authorization", "Bearer " + key } };
        var options = new CallOptions(headers, DateTime.UtcNow.AddSeconds(30));
        var invoker = _daemon.Channel.CreateCallInvoker();
        var request = descriptor.InputType.Parser.ParseFrom(ByteString.Empty);
        try
        {
            if (descriptor.IsClientStreaming)
            {
                using var call = invoker.AsyncClientStreamingCall(method, null, options);
                await call.RequestStream.CompleteAsync();
                await call.ResponseAsync;
            }
            else
            {
                await invoker.AsyncUnaryCall(method, null, options, request);
            }

            return StatusCode.OK;
        }
        catch (RpcException ex)
        {
            return ex.StatusCode;
        }
    }
}
