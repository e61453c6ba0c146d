using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;
using MtaStsReporting.Daemon.Hosting;
using MtaStsReporting.Persistence.Reports;

namespace MtaStsReporting.Daemon.Ingestion.Imap;

/// <summary>
/// Reads one IMAP mailbox: everything waiting at start, then new mail as IDLE announces it (or
/// by polling where the server has no IDLE). A message moves to the processed folder only after
/// its report is committed, and mail that is not a valid report moves to the invalid folder;
/// nothing is ever deleted. If the daemon dies between commit and move, the message is read
/// again on restart, found to be a duplicate, and moved: nothing is counted twice.
/// </summary>
public sealed class MailboxWorker(MailboxOptions mailbox, ReportIngestor ingestor, MailboxStatusBoard board, TimeProvider time, Observability.DaemonMetrics metrics, ILogger<MailboxWorker> logger)
    : BackgroundService
{
    // Messages are committed in groups of this many: one durable commit for a burst of mail.
    private const int GroupSize = 50;

    // RFC 2177 §3: clients should re-issue IDLE at least every 29 minutes.
    private static readonly TimeSpan IdleRestart = TimeSpan.FromMinutes(9);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        board.Set(mailbox.DisplayName, connected: false, error: "not connected yet");
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using var client = new ImapClient();
                await ConnectAsync(client, stoppingToken);
                board.Set(mailbox.DisplayName, connected: true, error: null);
                MailboxLog.Connected(logger, mailbox.DisplayName, mailbox.Folder, client.Capabilities.HasFlag(ImapCapabilities.Idle));
                delay = TimeSpan.FromSeconds(1);
                await RunSessionAsync(client, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // Every failure, of the server or of the store (a full disk), ends the session the
                // same way: nothing was moved that was not committed, so the mail is read again
                // after the backoff. A worker that gave up would stop the whole host.
                board.Set(mailbox.DisplayName, connected: false, error: ex.Message);
                metrics.MailboxError(mailbox.DisplayName);
                MailboxLog.Failed(logger, mailbox.DisplayName, delay.TotalSeconds, ex);
                try
                {
                    await Task.Delay(delay, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, mailbox.MaxReconnectDelay.Ticks));
            }
        }
    }

    private async Task ConnectAsync(ImapClient client, CancellationToken cancellationToken)
    {
        var (options, port) = mailbox.Tls switch
        {
            MailboxTls.Implicit => (SecureSocketOptions.SslOnConnect, 993),
            MailboxTls.StartTls => (SecureSocketOptions.StartTls, 143),
            _ => (SecureSocketOptions.None, 143),
        };
        client.Timeout = 60_000;
        await client.ConnectAsync(mailbox.Host, mailbox.Port == 0 ? port : mailbox.Port, options, cancellationToken);
        await client.AuthenticateAsync(mailbox.User, mailbox.ReadPassword(), cancellationToken);
    }

    private async Task RunSessionAsync(ImapClient client, CancellationToken stoppingToken)
    {
        var processed = await EnsureFolderAsync(client, mailbox.ProcessedFolder, stoppingToken);
        var invalid = await EnsureFolderAsync(client, mailbox.InvalidFolder, stoppingToken);
        var inbox = await client.GetFolderAsync(mailbox.Folder, stoppingToken);
        await inbox.OpenAsync(FolderAccess.ReadWrite, stoppingToken);
        var idle = client.Capabilities.HasFlag(ImapCapabilities.Idle);
        while (!stoppingToken.IsCancellationRequested)
        {
            await DrainAsync(inbox, processed, invalid, stoppingToken);
            if (idle)
            {
                using var done = new CancellationTokenSource(IdleRestart);
                void OnNewMail(object? sender, EventArgs e) => done.Cancel();
                inbox.CountChanged += OnNewMail;
                try
                {
                    await client.IdleAsync(done.Token, stoppingToken);
                }
                finally
                {
                    inbox.CountChanged -= OnNewMail;
                }
            }
            else
            {
                await Task.Delay(mailbox.PollInterval, time, stoppingToken);
                await client.NoOpAsync(stoppingToken);
            }
        }
    }

    /// <summary>Ingests every message in the folder, in groups, moving each after its group is committed.</summary>
    private async Task DrainAsync(IMailFolder inbox, IMailFolder processed, IMailFolder invalid, CancellationToken cancellationToken)
    {
        var uids = await inbox.SearchAsync(SearchQuery.NotDeleted, cancellationToken);
        if (uids.Count == 0)
        {
            return;
        }

        var sizes = (await inbox.FetchAsync(uids, MessageSummaryItems.UniqueId | MessageSummaryItems.Size, cancellationToken))
            .ToDictionary(s => s.UniqueId, s => (long)(s.Size ?? 0));
        var maxBytes = ingestor.Reader.Limits.MaxMessageBytes;
        foreach (var chunk in uids.Chunk(GroupSize))
        {
            var group = new List<(UniqueId Uid, InboundItem Item)>();
            foreach (var uid in chunk)
            {
                if (sizes.TryGetValue(uid, out var size) && size > maxBytes)
                {
                    // Too big to read: set aside without downloading it.
                    var source = new ReportSource("imap", $"{mailbox.DisplayName}/{mailbox.Folder}", null);
                    await ingestor.RejectAsync(source, IngestStatus.Invalid, $"the message is {size} bytes, larger than {maxBytes} (Ingestion:Limits:MaxMessageBytes)", cancellationToken);
                    await inbox.MoveToAsync(uid, invalid, cancellationToken);
                    continue;
                }

                using var stream = await inbox.GetStreamAsync(uid, cancellationToken);
                using var buffer = new MemoryStream();
                await stream.CopyToAsync(buffer, cancellationToken);
                group.Add((uid, new InboundItem(new ReportSource("imap", $"{mailbox.DisplayName}/{mailbox.Folder}", null), buffer.ToArray(), InboundKind.Mail)));
            }

            if (group.Count == 0)
            {
                continue;
            }

            // Commit first, move after: a crash in between leaves the mail to be read again.
            var results = await ingestor.IngestAsync(group.Select(g => g.Item).ToList(), cancellationToken);
            for (var i = 0; i < group.Count; i++)
            {
                var target = results[i].Status is IngestStatus.Imported or IngestStatus.Duplicate ? processed : invalid;
                await inbox.MoveToAsync(group[i].Uid, target, cancellationToken);
            }
        }
    }

    private static async Task<IMailFolder> EnsureFolderAsync(ImapClient client, string path, CancellationToken cancellationToken)
    {
        try
        {
            return await client.GetFolderAsync(path, cancellationToken);
        }
        catch (FolderNotFoundException)
        {
        }

        var personal = client.GetFolder(client.PersonalNamespaces[0]);
        var separator = personal.DirectorySeparator;
        var parent = personal;
        foreach (var name in path.Split(separator, StringSplitOptions.RemoveEmptyEntries))
        {
            var subfolders = await parent.GetSubfoldersAsync(false, cancellationToken);
            parent = subfolders.FirstOrDefault(f => f.Name == name)
                ?? await parent.CreateAsync(name, true, cancellationToken)
                ?? throw new InvalidOperationException($"the server did not create folder {name} of {path}");
        }

        return parent;
    }
}

/// <summary>Each mailbox's state, for the health checks.</summary>
public sealed class MailboxStatusBoard
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (bool Connected, string? Error)> _states = new();

    /// <summary>Records a mailbox's state.</summary>
    public void Set(string mailbox, bool connected, string? error) => _states[mailbox] = (connected, error);

    /// <summary>The state of a mailbox, if it has reported one.</summary>
    public (bool Connected, string? Error)? Get(string mailbox) => _states.TryGetValue(mailbox, out var s) ? s : null;
}

internal static partial class MailboxLog
{
    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Mailbox {Mailbox}: connected, reading {Folder} (IDLE: {Idle})")]
    public static partial void Connected(ILogger logger, string mailbox, string folder, bool idle);

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "Mailbox {Mailbox}: connection lost or refused; retrying in {DelaySeconds} s")]
    public static partial void Failed(ILogger logger, string mailbox, double delaySeconds, Exception exception);
}
