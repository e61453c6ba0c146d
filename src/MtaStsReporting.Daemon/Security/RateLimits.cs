using Grpc.Core;
using Grpc.Core.Interceptors;

namespace MtaStsReporting.Daemon.Security;

/// <summary>Limits on what one client may ask of the daemon. Section <c>Limits</c>.</summary>
public sealed class LimitsOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Limits";

    /// <summary>
    /// Calls per second one caller (an API key, or a remote address without keys) may make, with
    /// bursts up to the same number; 0 for no limit. Over it a call gets RESOURCE_EXHAUSTED.
    /// </summary>
    public int CallsPerSecondPerCaller { get; set; }

    /// <summary>Largest gRPC message the daemon accepts.</summary>
    public int MaxMessageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Concurrent HTTP/2 streams (calls) one connection may have open.</summary>
    public int MaxStreamsPerConnection { get; set; } = 200;
}

/// <summary>
/// A token bucket per caller (<see cref="CallerRateLimiter"/>): one client over its limit is
/// refused at once with RESOURCE_EXHAUSTED, without queueing, so the others are not slowed.
/// </summary>
public sealed class RateLimitInterceptor : Interceptor
{
    private readonly CallerRateLimiter? _limiter;

    /// <summary>Builds the limiter from the settings (none when the limit is 0).</summary>
    public RateLimitInterceptor(LimitsOptions options, TimeProvider time)
    {
        if (options.CallsPerSecondPerCaller > 0)
        {
            _limiter = new CallerRateLimiter(options.CallsPerSecondPerCaller, time);
        }
    }

    /// <summary>Who a call is counted against: its key, else its remote address.</summary>
    public static string Caller(ServerCallContext context)
    {
        if (context.UserState.TryGetValue(AuthorizationInterceptor.KeyIdState, out var key) && key is string id)
        {
            return "key:" + id;
        }

        var peer = context.Peer; // "ipv4:127.0.0.1:54321"
        var lastColon = peer.LastIndexOf(':');
        return "peer:" + (lastColon > 0 ? peer[..lastColon] : peer);
    }

    /// <inheritdoc />
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Admit(context);
        return continuation(request, context);
    }

    /// <inheritdoc />
    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Admit(context);
        return continuation(requestStream, context);
    }

    private void Admit(ServerCallContext context)
    {
        if (_limiter is null || AuthorizationInterceptor.RolesFor(context.Method) is null)
        {
            return; // no limit, or an open service (health, reflection)
        }

        if (!_limiter.TryAcquire(Caller(context)))
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, "too many calls: Limits:CallsPerSecondPerCaller is exceeded; slow down and retry"));
        }
    }
}
