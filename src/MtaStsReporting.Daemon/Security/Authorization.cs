using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Http;
using MtaStsReporting.Daemon.Hosting;
using MtaStsReporting.Domain.Access;
using MtaStsReporting.Persistence.Security;

namespace MtaStsReporting.Daemon.Security;

/// <summary>How callers prove who they are. Section <c>Security</c>.</summary>
public sealed class SecurityOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Security";

    /// <summary>
    /// <c>None</c>: every caller is an admin; allowed only while every listener is on loopback
    /// (the first-run default). <c>ApiKeys</c>: every call carries a key.
    /// </summary>
    public AuthenticationMode Authentication { get; set; } = AuthenticationMode.None;

    /// <summary>How long a checked key is trusted before it is looked up again (a revocation takes at most this long).</summary>
    public TimeSpan KeyCacheTime { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Client certificates mapped to roles, on the https:// API listeners (mTLS).</summary>
    public ClientCertificateOptions ClientCertificates { get; set; } = new();
}

/// <summary>See <see cref="SecurityOptions.Authentication"/>.</summary>
public enum AuthenticationMode
{
    /// <summary>No keys; loopback only.</summary>
    None,

    /// <summary>Every call carries an API key in its metadata, or comes over TLS with a mapped client certificate.</summary>
    ApiKeys,
}

/// <summary>
/// Lets every call through only with a key whose role allows it. The role each service needs:
/// relays write outcomes; readers query and ask for readiness; admins do all that and import.
/// Health and reflection are open, so that probes and generic tools work.
/// </summary>
public sealed class AuthorizationInterceptor(SecurityOptions options, ApiKeyStore keys, ClientCertificateAuthority certificates, TimeProvider time) : Interceptor
{
    /// <summary>Where the authenticated key's id is left for later interceptors (rate limits).</summary>
    public const string KeyIdState = "mtasts.key-id";

    /// <summary>Where who is calling is left for the services that record it (a policy change): <c>key 0a1b2c3d4e5f (ops)</c>, <c>client certificate ops</c>.</summary>
    public const string CallerState = "mtasts.caller";

    /// <summary>Who is calling, as recorded: the key or certificate, or the loopback-only first-run mode.</summary>
    public static string Caller(ServerCallContext context) =>
        context.UserState.TryGetValue(CallerState, out var caller) && caller is string who ? who : "a local caller (Security:Authentication=None)";

    private readonly ConcurrentDictionary<string, (ApiKeyInfo? Key, DateTimeOffset Until)> _cache = new();

    private static readonly IReadOnlySet<Role> Writers = new HashSet<Role> { Role.Relay, Role.Admin };
    private static readonly IReadOnlySet<Role> Readers = new HashSet<Role> { Role.Reader, Role.Admin };
    private static readonly IReadOnlySet<Role> Admins = new HashSet<Role> { Role.Admin };

    /// <summary>The roles allowed to call a service; null for open services. Asked on every call: no allocation.</summary>
    public static IReadOnlySet<Role>? RolesFor(string method)
    {
        var path = method.AsSpan().TrimStart('/');
        var slash = path.IndexOf('/');
        return (slash < 0 ? path : path[..slash]) switch
        {
            "grpc.health.v1.Health" or "grpc.reflection.v1alpha.ServerReflection" or "grpc.reflection.v1.ServerReflection" => null,
            "mtasts.reporting.v1.RelayOutcomes" => Writers,
            "mtasts.reporting.v1.Query" or "mtasts.reporting.v1.Readiness" => Readers,
            _ => Admins, // anything new is admin-only until decided otherwise
        };
    }

    // Without keys the calls go straight through, with no extra await on the hot path.

    /// <inheritdoc />
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation) =>
        options.Authentication == AuthenticationMode.None ? continuation(request, context) : Authorized(context, () => continuation(request, context));

    /// <inheritdoc />
    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation) =>
        options.Authentication == AuthenticationMode.None ? continuation(requestStream, context) : Authorized(context, () => continuation(requestStream, context));

    /// <inheritdoc />
    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await AuthorizeAsync(context);
        await continuation(request, responseStream, context);
    }

    /// <inheritdoc />
    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await AuthorizeAsync(context);
        await continuation(requestStream, responseStream, context);
    }

    private async Task<TResponse> Authorized<TResponse>(ServerCallContext context, Func<Task<TResponse>> call)
    {
        await AuthorizeAsync(context);
        return await call();
    }

    private async Task AuthorizeAsync(ServerCallContext context)
    {
        var roles = RolesFor(context.Method);
        if (roles is null || options.Authentication == AuthenticationMode.None)
        {
            return;
        }

        var (id, role, who) = await AuthenticateAsync(context);
        context.UserState[KeyIdState] = id;
        context.UserState[CallerState] = who;
        if (!roles.Contains(role))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"{who} ({role.ToString().ToLowerInvariant()}) may not call {context.Method}"));
        }
    }

    /// <summary>Who is calling: an API key, or else a client certificate the TLS handshake accepted and that is mapped to a role.</summary>
    private async Task<(string Id, Role Role, string Who)> AuthenticateAsync(ServerCallContext context)
    {
        var caller = await IdentifyAsync(Presented(context.RequestHeaders.GetValue), context.GetHttpContext().Connection.ClientCertificate, context.CancellationToken);
        return caller.Error is null ? (caller.Id!, caller.Role, caller.Who!) : throw new RpcException(new Status(StatusCode.Unauthenticated, caller.Error));
    }

    /// <summary>
    /// The same rule for plain HTTP routes that are not gRPC methods (<c>/metrics</c>): null when
    /// the request may go on, else the status and the reason to answer with.
    /// </summary>
    public async Task<(int Status, string Reason)?> AuthorizeHttpAsync(HttpContext context, IReadOnlySet<Role> roles)
    {
        if (options.Authentication == AuthenticationMode.None)
        {
            return null;
        }

        var caller = await IdentifyAsync(Presented(name => context.Request.Headers[name].FirstOrDefault()), context.Connection.ClientCertificate, context.RequestAborted);
        return caller.Error is not null ? (StatusCodes.Status401Unauthorized, caller.Error)
            : !roles.Contains(caller.Role) ? (StatusCodes.Status403Forbidden, $"{caller.Who} ({caller.Role.ToString().ToLowerInvariant()}) may not read {context.Request.Path}")
            : null;
    }

    /// <summary>The roles that may read the metrics: volumes and failure rates are readers' data.</summary>
    public static IReadOnlySet<Role> MetricsReaders => Readers;

    /// <summary>The roles that may read the dashboard's charts: the query API's readers.</summary>
    public static IReadOnlySet<Role> DashboardReaders => Readers;

    private async Task<(string? Id, Role Role, string? Who, string? Error)> IdentifyAsync(string? presented, System.Security.Cryptography.X509Certificates.X509Certificate2? certificate, CancellationToken cancellationToken)
    {
        if (presented is not null)
        {
            var key = await LookupAsync(presented, cancellationToken);
            return key is null ? (null, default, null, "the API key is unknown or revoked") : (key.Id, key.Role, $"key {key.Id} ({key.Name})", null);
        }

        var identity = certificate is null || !certificates.Enabled ? null : certificates.Identify(certificate);
        if (identity is null)
        {
            return (null, default, null, certificate is null
                ? "an API key is required: send it as 'authorization: Bearer <key>' or 'x-api-key: <key>'"
                : $"the client certificate '{certificate.Subject}' is not mapped to a role, and no API key was sent");
        }

        return ("cert:" + identity.Name, identity.Role, $"client certificate {identity.Name}", null);
    }

    private async Task<ApiKeyInfo?> LookupAsync(string presented, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(presented, out var cached) && cached.Until > now)
        {
            return cached.Key;
        }

        var key = await keys.AuthenticateAsync(presented, cancellationToken);
        if (_cache.Count > 10_000)
        {
            _cache.Clear(); // bounded: guessed keys must not fill memory
        }

        _cache[presented] = (key, now + options.KeyCacheTime);
        return key;
    }

    private static string? Presented(Func<string, string?> header)
    {
        var authorization = header("authorization");
        if (authorization is not null && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }

        return header("x-api-key")?.Trim();
    }
}

/// <summary><c>mtasts-reporting keys create|list|revoke</c>: key management on the configured store (parsed by <see cref="Hosting.CommandTree"/>).</summary>
public static class KeyCommands
{
    /// <summary>Creates a key and prints it once, as a JSON line; exit 0.</summary>
    public static async Task<int> CreateAsync(ApiKeyStore store, Role role, string name, TextWriter output, TextWriter error)
    {
        var (info, key) = await store.CreateAsync(name, role, CancellationToken.None);
        await output.WriteLineAsync(System.Text.Json.JsonSerializer.Serialize(new { id = info.Id, name = info.Name, role = info.Role.ToString().ToLowerInvariant(), key }));
        await error.WriteLineAsync("The key is shown once; only its hash is stored.");
        return 0;
    }

    /// <summary>Prints every key (never the key itself), a JSON line each; exit 0.</summary>
    public static async Task<int> ListAsync(ApiKeyStore store, TextWriter output)
    {
        foreach (var k in await store.ListAsync(CancellationToken.None))
        {
            await output.WriteLineAsync(System.Text.Json.JsonSerializer.Serialize(new
            {
                id = k.Id, name = k.Name, role = k.Role.ToString().ToLowerInvariant(), createdAt = k.CreatedAt, revokedAt = k.RevokedAt,
            }));
        }

        return 0;
    }

    /// <summary>Revokes a key; exit 1 when there is no such key.</summary>
    public static async Task<int> RevokeAsync(ApiKeyStore store, string id, TextWriter output, TextWriter error)
    {
        if (await store.RevokeAsync(id, CancellationToken.None))
        {
            await output.WriteLineAsync($"revoked {id}");
            return 0;
        }

        await error.WriteLineAsync($"no key {id}");
        return 1;
    }
}
