using MtaStsReporting.Daemon.Hosting;

namespace MtaStsReporting.Daemon.PolicyHosting;

/// <summary>
/// <c>GET /.well-known/mta-sts.txt</c> on the policy listener (RFC 8461 §3.3): the policy of
/// the host asked for, <c>text/plain</c>, status 200; never a redirect. Every other path, method
/// or host answers 404, and nothing else of the daemon (the API, metrics, dashboard) answers
/// on that listener: it faces the internet without credentials.
/// </summary>
public static class PolicyHostingEndpoint
{
    /// <summary>The one path senders fetch.</summary>
    public const string Path = "/.well-known/mta-sts.txt";

    /// <summary>Serves the hosted policies on the policy listener, when there is one.</summary>
    public static void MapPolicyHosting(this WebApplication app, Listeners listeners)
    {
        if (listeners.PolicyHostingPort is null)
        {
            return;
        }

        var policies = app.Services.GetRequiredService<ServedPolicies>();
        app.Use(async (context, next) =>
        {
            if (context.Connection.LocalPort != listeners.PolicyHostingPort)
            {
                await next(context);
                return;
            }

            var text = (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
                && context.Request.Path.Equals(Path, StringComparison.Ordinal) && !context.Request.QueryString.HasValue
                ? policies.Current.Find(context.Request.Host.Host)
                : null;
            if (text is null)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "text/plain";
            context.Response.Headers.CacheControl = "no-cache";
            context.Response.ContentLength = System.Text.Encoding.UTF8.GetByteCount(text);
            if (HttpMethods.IsGet(context.Request.Method))
            {
                await context.Response.WriteAsync(text, context.RequestAborted);
            }
        });
    }
}
