using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace MtaStsReporting.Daemon.Tests.Support;

/// <summary>
/// The few Microsoft Graph v1.0 endpoints a mailbox reader uses, over HTTPS on loopback (as
/// <c>localhost</c>), for one user's mailbox: the Inbox by its well-known name, top-level and
/// child folders found by <c>$filter=displayName eq '…'</c> and created by POST, the folder's
/// messages by delta query (a first page, a next link, then a delta link that returns only what
/// arrived since), each message's MIME content (<c>$value</c>), and <c>move</c> (which gives the
/// message a new id, as Exchange does). Every call must carry a Graph token the
/// <see cref="OAuth2Issuer"/> issued. The test scripts 429s with Retry-After, and messages that
/// vanish between listing and reading.
/// </summary>
public sealed class GraphServer : IAsyncDisposable
{
    private const string Root = "root";
    private const string Inbox = "inbox-folder-id";
    private readonly WebApplication _app;
    private readonly OAuth2Issuer _issuer;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (string Name, string Parent)> _folders = new() { [Inbox] = ("Inbox", Root) };
    private readonly Dictionary<string, (string Folder, byte[] Mime, long Sequence)> _messages = [];
    private long _sequence;
    private int _ids;

    private GraphServer(WebApplication app, int port, OAuth2Issuer issuer, string user)
    {
        _app = app;
        Port = port;
        _issuer = issuer;
        User = user;
    }

    public int Port { get; }

    public string User { get; }

    public string BaseUrl => $"https://localhost:{Port}/v1.0";

    /// <summary>Every request, as "METHOD path", with when it came.</summary>
    public ConcurrentQueue<(string Request, DateTime At)> Requests { get; } = new();

    /// <summary>How many of the next delta requests answer 429 with <see cref="RetryAfterSeconds"/>.</summary>
    public int ThrottleNextDeltas { get; set; }

    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>Messages listed by the delta query whose content then answers 404, as if deleted in between.</summary>
    public ConcurrentDictionary<string, bool> Vanishing { get; } = new();

    public static async Task<GraphServer> StartAsync(X509Certificate2 localhostCertificate, OAuth2Issuer issuer, string user)
    {
        var port = Loopback.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.UseHttps(localhostCertificate)));
        var app = builder.Build();
        var server = new GraphServer(app, port, issuer, user);
        app.Use(async (context, next) =>
        {
            server.Requests.Enqueue(($"{context.Request.Method} {context.Request.Path}", DateTime.UtcNow));
            var bearer = context.Request.Headers.Authorization.ToString();
            if (!bearer.StartsWith("Bearer ", StringComparison.Ordinal) || !issuer.IsActive(bearer["Bearer ".Length..], "graph"))
            {
                await Error(context, 401, "InvalidAuthenticationToken", "Access token is empty or invalid.");
                return;
            }

            if (!context.Request.Path.StartsWithSegments($"/v1.0/users/{user}", StringComparison.OrdinalIgnoreCase))
            {
                await Error(context, 404, "ErrorInvalidUser", "The requested user is invalid.");
                return;
            }

            await next(context);
        });
        var prefix = "/v1.0/users/{user}";
        app.MapGet(prefix + "/mailFolders/inbox", () => Results.Json(new { id = Inbox, displayName = "Inbox" }));
        app.MapGet(prefix + "/mailFolders", (HttpContext c) => server.Find(Root, c.Request.Query["$filter"]));
        app.MapGet(prefix + "/mailFolders/{id}/childFolders", (string id, HttpContext c) => server.Find(id, c.Request.Query["$filter"]));
        app.MapPost(prefix + "/mailFolders", (JsonObject body) => server.Create(Root, body));
        app.MapPost(prefix + "/mailFolders/{id}/childFolders", (string id, JsonObject body) => server.Create(id, body));
        // The Graph client asks for the function, delta(); the links Graph returns name it delta.
        app.MapGet(prefix + "/mailFolders/{id}/messages/delta()", (string id, HttpContext c) => server.Delta(id, c));
        app.MapGet(prefix + "/mailFolders/{id}/messages/delta", (string id, HttpContext c) => server.Delta(id, c));
        app.MapGet(prefix + "/messages/{id}/$value", (string id) => server.Content(id));
        app.MapPost(prefix + "/messages/{id}/move", (string id, JsonObject body) => server.Move(id, body));
        await app.StartAsync();
        return server;
    }

    /// <summary>Delivers a message to the Inbox; its id.</summary>
    public string Deliver(byte[] mime)
    {
        lock (_lock)
        {
            var id = "AAMk-" + Interlocked.Increment(ref _ids);
            _messages[id] = (Inbox, mime, ++_sequence);
            return id;
        }
    }

    /// <summary>The Message-IDs of the messages in a folder given by its path ("Inbox", "TLSRPT/Processed").</summary>
    public List<string> MessageIdsIn(string path)
    {
        lock (_lock)
        {
            var folder = path == "Inbox" ? Inbox : FolderByPath(path);
            return folder is null ? [] : [.. _messages.Values.Where(m => m.Folder == folder).Select(m => MimeKit.MimeMessage.Load(new MemoryStream(m.Mime)).MessageId ?? "")];
        }
    }

    private string? FolderByPath(string path)
    {
        var parent = Root;
        foreach (var name in path.Split('/'))
        {
            var found = _folders.FirstOrDefault(f => f.Value.Parent == parent && f.Value.Name == name).Key;
            if (found is null)
            {
                return null;
            }

            parent = found;
        }

        return parent;
    }

    private IResult Find(string parent, string? filter)
    {
        var name = filter is { } f && f.StartsWith("displayName eq '", StringComparison.Ordinal) ? f["displayName eq '".Length..^1].Replace("''", "'", StringComparison.Ordinal) : null;
        lock (_lock)
        {
            var value = _folders.Where(x => x.Value.Parent == parent && (name is null || x.Value.Name == name)).Select(x => new { id = x.Key, displayName = x.Value.Name }).ToList();
            return Results.Json(new { value });
        }
    }

    private IResult Create(string parent, JsonObject body)
    {
        lock (_lock)
        {
            var id = "folder-" + Interlocked.Increment(ref _ids);
            _folders[id] = (body["displayName"]!.GetValue<string>(), parent);
            return Results.Json(new { id, displayName = _folders[id].Name }, statusCode: 201);
        }
    }

    private IResult Delta(string folder, HttpContext context)
    {
        if (ThrottleNextDeltas > 0)
        {
            ThrottleNextDeltas--;
            context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Results.Json(new { error = new { code = "ApplicationThrottled", message = "Application is over its MailboxConcurrency limit." } }, statusCode: 429);
        }

        // $deltatoken: the sequence already seen; $skiptoken: the second page of the first listing.
        var query = context.Request.Query;
        var since = long.TryParse(query["$deltatoken"], out var seen) ? seen : 0;
        lock (_lock)
        {
            var all = _messages.Where(m => m.Value.Folder == folder && m.Value.Sequence > since).OrderBy(m => m.Value.Sequence).ToList();
            var link = $"{BaseUrl}/users/{User}/mailFolders/{folder}/messages/delta";
            if (since == 0 && query["$skiptoken"].Count == 0 && all.Count > 1)
            {
                // The first listing comes in two pages.
                return Results.Json(new JsonObject
                {
                    ["value"] = new JsonArray([.. all.Take(1).Select(m => (JsonNode)new JsonObject { ["id"] = m.Key })]),
                    ["@odata.nextLink"] = link + "?$skiptoken=page2",
                });
            }

            var page = query["$skiptoken"].Count > 0 ? all.Skip(1) : all;
            return Results.Json(new JsonObject
            {
                ["value"] = new JsonArray([.. page.Select(m => (JsonNode)new JsonObject { ["id"] = m.Key })]),
                ["@odata.deltaLink"] = $"{link}?$deltatoken={_sequence}",
            });
        }
    }

    private IResult Content(string id)
    {
        lock (_lock)
        {
            return _messages.TryGetValue(id, out var m) && !Vanishing.ContainsKey(id)
                ? Results.Bytes(m.Mime, "message/rfc822")
                : Results.Json(new { error = new { code = "ErrorItemNotFound", message = "The specified object was not found in the store." } }, statusCode: 404);
        }
    }

    private IResult Move(string id, JsonObject body)
    {
        lock (_lock)
        {
            var destination = body["destinationId"]!.GetValue<string>();
            if (!_messages.Remove(id, out var m) || !_folders.ContainsKey(destination))
            {
                return Results.Json(new { error = new { code = "ErrorItemNotFound", message = "The specified object was not found in the store." } }, statusCode: 404);
            }

            var moved = "AAMk-" + Interlocked.Increment(ref _ids);
            _messages[moved] = (destination, m.Mime, ++_sequence);
            return Results.Json(new { id = moved }, statusCode: 201);
        }
    }

    private static Task Error(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new { error = new { code, message } });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
