using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Graph.Users.Item.Messages.Item.Move;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Authentication;
using MtaStsReporting.Daemon.Hosting;
using MtaStsReporting.Daemon.Ingestion.Imap;
using MtaStsReporting.Daemon.Ingestion.OAuth2;
using MtaStsReporting.Domain.TlsRpt;
using MtaStsReporting.Persistence.Reports;

namespace MtaStsReporting.Daemon.Ingestion.Graph;

/// <summary>
/// Reads one Exchange Online mailbox through Microsoft Graph, as <see cref="MailboxWorker"/>
/// reads an IMAP one: the folder's messages found by a delta query (all of them at first, then
/// only the new ones, every <c>PollInterval</c>), each message's MIME content (<c>$value</c>)
/// read by the same reader, committed, and only then moved to the processed or invalid folder.
/// A message that disappears between listing and reading is skipped. Graph's throttling (429
/// with Retry-After) is honoured by the Graph client's retry handler, and past its retries by
/// waiting as long as Graph asked. The same health, lease and metrics as an IMAP mailbox.
/// </summary>
public sealed class GraphMailboxWorker(GraphMailboxOptions mailbox, ReportIngestor ingestor, MailboxStatusBoard board, Storage.LeaseKeeper leases, TimeProvider time,
    Observability.DaemonMetrics metrics, ILogger<GraphMailboxWorker> logger)
    : BackgroundService
{
    // Messages are committed in groups of this many: one durable commit for a burst of mail.
    private const int GroupSize = 50;

    private readonly GraphTokenProvider _tokens = new(
        AccessTokenSource.Create(mailbox.OAuth2, mailbox.User, mailbox.OAuth2.Scope ?? "https://graph.microsoft.com/.default"),
        new Uri(mailbox.BaseUrl).Host);

    // Messages that are not TLS reports and were left in the folder, so that a session reads each once.
    private readonly HashSet<string> _left = [];

    private readonly MailboxLoop _loop = new(mailbox.DisplayName, mailbox.MaxReconnectDelay, board, leases, time, metrics, logger);

    /// <summary>The lease that makes one instance the reader of this mailbox.</summary>
    public string Lease => _loop.Lease;

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => _loop.RunAsync(
        async (token, onHealthy) =>
        {
            using var http = GraphClientFactory.Create(GraphClientFactory.CreateDefaultHandlers(), finalHandler: ClientChannels.Handler(mailbox.TrustedCaFile));
            var client = new GraphServiceClient(http, new BaseBearerTokenAuthenticationProvider(_tokens), mailbox.BaseUrl);
            await RunSessionAsync(client, onHealthy, token);
        },
        Describe,
        stoppingToken);

    /// <summary>The cause of a failure in one line, and how long to wait when it says (throttling, a refusal).</summary>
    private (string Cause, TimeSpan? Wait) Describe(Exception ex)
    {
        switch (ex)
        {
            case ApiException { ResponseStatusCode: 429 } throttled:
                // Past the client's own retries: wait as long as Graph asked (RFC 9110 §10.2.3), at least the backoff.
                var after = RetryAfter(throttled) ?? TimeSpan.FromSeconds(1);
                return ($"Graph throttled the requests (HTTP 429); waiting {after.TotalSeconds:0} s as it asked", after);
            case AggregateException throttledOut when throttledOut.InnerExceptions.Any(e => e.Message.Contains("TooManyRequests", StringComparison.Ordinal)):
                // The Graph client's retry handler waited each Retry-After and gave up after its retries: back off further.
                return ("Graph throttled the requests (HTTP 429) through all of the Graph client's retries, each made after the Retry-After Graph asked for", null);
            case AggregateException { InnerException: { } inner }:
                return Describe(inner);
            case ApiException { ResponseStatusCode: 401 } refused:
                _tokens.Refused = true;
                return ($"Graph refused the token (HTTP 401{Code(refused)}); a new one will be asked for", null);
            case ApiException { ResponseStatusCode: 403 } forbidden:
                // A missing permission or application access policy: asking again at once changes nothing.
                return ($"Graph refused access to {mailbox.User}'s mail (HTTP 403{Code(forbidden)}): grant the app Mail.ReadWrite, and let its application access policy include this mailbox", mailbox.MaxReconnectDelay);
            case ApiException { ResponseStatusCode: 404 } missing:
                return ($"Graph found no mailbox or folder (HTTP 404{Code(missing)}): check User and Folder", mailbox.MaxReconnectDelay);
            case ApiException api:
                return ($"Graph answered HTTP {api.ResponseStatusCode}{Code(api)}", null);
            case TokenUnavailableException token:
                return ($"no OAuth2 token: {token.Message}", token.Refused ? mailbox.MaxReconnectDelay : null);
            case HttpRequestException http:
                return ($"cannot reach {mailbox.BaseUrl}: {ExceptionText.Innermost(http)}", null);
            case Persistence.StoreUnavailableException:
                return ($"the store could not commit: {ex.Message}", null);
            default:
                return ($"{ex.GetType().Name}: {ex.Message}", null);
        }
    }

    private static string Code(ApiException ex) =>
        ex is ODataError { Error: { } error } ? $", {error.Code}: {error.Message}" : string.Empty;

    private static TimeSpan? RetryAfter(ApiException ex) =>
        ex.ResponseHeaders.TryGetValue("Retry-After", out var values) && values.FirstOrDefault() is { } value
        && int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds)
            : null;

    private async Task RunSessionAsync(GraphServiceClient client, Action onHealthy, CancellationToken cancellationToken)
    {
        var user = client.Users[mailbox.User];
        var source = await FolderAsync(user, mailbox.Folder, create: false, cancellationToken);
        var processed = await FolderAsync(user, mailbox.ProcessedFolder, create: true, cancellationToken);
        var invalid = await FolderAsync(user, mailbox.InvalidFolder, create: true, cancellationToken);
        var other = mailbox.OtherMail == OtherMail.Move ? await FolderAsync(user, mailbox.OtherFolder, create: true, cancellationToken) : null;
        board.Set(mailbox.DisplayName, connected: true, error: null);
        MailboxLog.Connected(logger, mailbox.DisplayName, mailbox.Folder, false);
        string? deltaLink = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            // All the folder's messages at first, then only what changed since the last delta link.
            var ids = new List<string>();
            var delta = user.MailFolders[source].Messages.Delta;
            var page = deltaLink is null
                ? await delta.GetAsDeltaGetResponseAsync(r => r.QueryParameters.Select = ["id"], cancellationToken)
                : await delta.WithUrl(deltaLink).GetAsDeltaGetResponseAsync(cancellationToken: cancellationToken);
            while (page is not null)
            {
                // Messages moved out or deleted come back marked @removed: nothing to read.
                ids.AddRange((page.Value ?? []).Where(m => m.Id is not null && m.AdditionalData?.ContainsKey("@removed") != true).Select(m => m.Id!));
                if (page.OdataNextLink is { } next)
                {
                    page = await delta.WithUrl(next).GetAsDeltaGetResponseAsync(cancellationToken: cancellationToken);
                    continue;
                }

                deltaLink = page.OdataDeltaLink ?? deltaLink;
                break;
            }

            await DrainAsync(user, ids.Where(id => !_left.Contains(id)).Distinct().ToList(), processed, invalid, other, cancellationToken);
            onHealthy();
            await Task.Delay(mailbox.PollInterval, time, cancellationToken);
        }
    }

    private async Task DrainAsync(Microsoft.Graph.Users.Item.UserItemRequestBuilder user, List<string> ids, string processed, string invalid, string? other, CancellationToken cancellationToken)
    {
        var maxBytes = ingestor.Reader.Limits.MaxMessageBytes;
        var source = new ReportSource("graph", $"{mailbox.DisplayName}/{mailbox.Folder}", null);
        foreach (var chunk in ids.Chunk(GroupSize))
        {
            var group = new List<(string Id, InboundItem Item)>();
            foreach (var id in chunk)
            {
                var content = await ReadAsync(user, id, maxBytes, cancellationToken);
                if (content is null)
                {
                    // Gone between the listing and the reading (moved or deleted by someone else).
                    continue;
                }

                if (content.Length > maxBytes)
                {
                    await ingestor.RejectAsync(source, IngestStatus.Invalid, $"the message is larger than {maxBytes} bytes (Ingestion:Limits:MaxMessageBytes)", cancellationToken);
                    await MoveAsync(user, id, invalid, cancellationToken);
                    continue;
                }

                group.Add((id, new InboundItem(source, content, InboundKind.Mail)));
            }

            if (group.Count == 0)
            {
                continue;
            }

            // Commit first, move after: a crash in between leaves the mail to be read again.
            var results = await ingestor.IngestAsync(group.Select(g => g.Item).ToList(), cancellationToken, recordOtherMail: other is not null);
            var left = 0;
            for (var i = 0; i < group.Count; i++)
            {
                var id = group[i].Id;
                switch (mailbox.DestinationOf(results[i].Status))
                {
                    case MessageDestination.Processed:
                        await MoveAsync(user, id, processed, cancellationToken);
                        break;
                    case MessageDestination.Invalid:
                        await MoveAsync(user, id, invalid, cancellationToken);
                        break;
                    case MessageDestination.Other:
                        await MoveAsync(user, id, other!, cancellationToken);
                        break;
                    default:
                        if (mailbox.OtherMail == OtherMail.MarkSeen)
                        {
                            await user.Messages[id].PatchAsync(new Message { IsRead = true }, cancellationToken: cancellationToken);
                        }

                        _left.Add(id);
                        left++;
                        break;
                }
            }

            if (left > 0)
            {
                MailboxLog.LeftOtherMail(logger, mailbox.DisplayName, left, mailbox.Folder);
            }
        }
    }

    /// <summary>The message's MIME content, at most one byte past the limit; null when it no longer exists.</summary>
    private static async Task<byte[]?> ReadAsync(Microsoft.Graph.Users.Item.UserItemRequestBuilder user, string id, long maxBytes, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await user.Messages[id].Content.GetAsync(cancellationToken: cancellationToken);
            if (stream is null)
            {
                return null;
            }

            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
            {
                buffer.Write(chunk, 0, read);
                if (buffer.Length > maxBytes)
                {
                    break;
                }
            }

            return buffer.ToArray();
        }
        catch (ApiException ex) when (ex.ResponseStatusCode == 404)
        {
            return null;
        }
    }

    private static async Task MoveAsync(Microsoft.Graph.Users.Item.UserItemRequestBuilder user, string id, string folder, CancellationToken cancellationToken)
    {
        try
        {
            await user.Messages[id].Move.PostAsync(new MovePostRequestBody { DestinationId = folder }, cancellationToken: cancellationToken);
        }
        catch (ApiException ex) when (ex.ResponseStatusCode == 404)
        {
            // Already moved or deleted by someone else: its report is committed either way.
        }
    }

    /// <summary>
    /// The id of a folder given as a path from the top of the mailbox (levels separated by '/');
    /// <c>Inbox</c> is Graph's well-known name, whatever the mailbox's language.
    /// </summary>
    private static async Task<string> FolderAsync(Microsoft.Graph.Users.Item.UserItemRequestBuilder user, string path, bool create, CancellationToken cancellationToken)
    {
        if (path.Equals("inbox", StringComparison.OrdinalIgnoreCase))
        {
            return (await user.MailFolders["inbox"].GetAsync(cancellationToken: cancellationToken))?.Id
                ?? throw new InvalidOperationException("Graph returned no Inbox folder");
        }

        string? parent = null;
        foreach (var name in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var filter = $"displayName eq '{name.Replace("'", "''", StringComparison.Ordinal)}'";
            var found = parent is null
                ? await user.MailFolders.GetAsync(r => r.QueryParameters.Filter = filter, cancellationToken)
                : await user.MailFolders[parent].ChildFolders.GetAsync(r => r.QueryParameters.Filter = filter, cancellationToken);
            var id = found?.Value?.FirstOrDefault()?.Id;
            if (id is null)
            {
                if (!create)
                {
                    throw new InvalidOperationException($"folder '{path}' does not exist in {user}'s mailbox");
                }

                var folder = new MailFolder { DisplayName = name };
                id = (parent is null
                    ? await user.MailFolders.PostAsync(folder, cancellationToken: cancellationToken)
                    : await user.MailFolders[parent].ChildFolders.PostAsync(folder, cancellationToken: cancellationToken))?.Id
                    ?? throw new InvalidOperationException($"Graph did not create folder {name} of {path}");
            }

            parent = id;
        }

        return parent ?? throw new InvalidOperationException("an empty folder path");
    }
}
