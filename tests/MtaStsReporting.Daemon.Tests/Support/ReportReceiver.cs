using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace MtaStsReporting.Daemon.Tests.Support;

/// <summary>
/// An RFC 8460 §5.4 report endpoint: HTTPS on 127.0.0.1 (as <c>localhost</c>) that takes POSTs
/// on any path, keeps what came (path, media type, the gunzipped report) and answers with the
/// statuses the test scripts, the last one for every later request.
/// </summary>
public sealed class ReportReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<int> _script;
    private int _last;

    private ReportReceiver(WebApplication app, int port, int[] statuses)
    {
        _app = app;
        Port = port;
        _script = new ConcurrentQueue<int>(statuses);
        _last = statuses[^1];
    }

    public int Port { get; }

    /// <summary>What came, in order.</summary>
    public ConcurrentQueue<(string Path, string? MediaType, string Json, int Answered)> Received { get; } = new();

    public string Url(string path) => $"https://localhost:{Port}{path}";

    /// <summary>Requests to this path are recorded and then never answered (a sender killed mid-send).</summary>
    public string? HangPath { get; set; }

    /// <summary>Time taken before each answer.</summary>
    public TimeSpan Delay { get; set; }

    public static async Task<ReportReceiver> StartAsync(X509Certificate2 certificate, params int[] statuses)
    {
        var port = Loopback.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.UseHttps(certificate)));
        var app = builder.Build();
        ReportReceiver? receiver = null;
        app.MapPost("/{**path}", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            string json;
            try
            {
                using var gzip = new GZipStream(new MemoryStream(body.ToArray()), CompressionMode.Decompress);
                using var reader = new StreamReader(gzip);
                json = await reader.ReadToEndAsync();
            }
            catch (InvalidDataException)
            {
                json = "(not gzip)";
            }

            var path = context.Request.Path.Value ?? "";
            if (path == receiver!.HangPath)
            {
                receiver.Received.Enqueue((path, context.Request.ContentType, json, 0));
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }

            await Task.Delay(receiver.Delay, context.RequestAborted);
            var status = receiver._script.TryDequeue(out var s) ? s : receiver._last;
            receiver.Received.Enqueue((path, context.Request.ContentType, json, status));
            return Results.StatusCode(status);
        });
        await app.StartAsync();
        receiver = new ReportReceiver(app, port, statuses);
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
