using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace MtaStsReporting.Daemon.Tests.Support;

/// <summary>
/// An HTTPS server on 127.0.0.1 that serves <c>/.well-known/mta-sts.txt</c> for several
/// <c>mta-sts.&lt;domain&gt;</c> names, choosing the certificate by SNI, as a policy host does.
/// </summary>
public sealed class PolicyHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private PolicyHost(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    /// <param name="responses">Per host name: status code, media type and body.</param>
    /// <param name="certificates">Per host name (SNI): the certificate to present.</param>
    /// <param name="handlers">Per host name, a handler of the test's own instead (a host that answers slowly).</param>
    public static async Task<PolicyHost> StartAsync(IReadOnlyDictionary<string, (int Status, string MediaType, string Body)> responses, IReadOnlyDictionary<string, X509Certificate2> certificates,
        IReadOnlyDictionary<string, Func<HttpContext, Task>>? handlers = null)
    {
        var port = Loopback.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l =>
        {
            l.Protocols = HttpProtocols.Http1AndHttp2;
            l.UseHttps(https => https.ServerCertificateSelector = (_, name) => name is not null && certificates.TryGetValue(name, out var c) ? c : certificates.Values.First());
        }));
        var app = builder.Build();
        app.MapGet("/.well-known/mta-sts.txt", async (HttpContext context) =>
        {
            if (handlers is not null && handlers.TryGetValue(context.Request.Host.Host, out var handler))
            {
                await handler(context);
                return Results.Empty;
            }

            if (!responses.TryGetValue(context.Request.Host.Host, out var response))
            {
                return Results.NotFound();
            }

            if (response.Status is >= 300 and < 400)
            {
                context.Response.Headers.Location = "https://elsewhere.example/.well-known/mta-sts.txt";
            }

            return Results.Text(response.Body, response.MediaType, statusCode: response.Status);
        });
        await app.StartAsync();
        return new PolicyHost(app, port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
