using MtaStsReporting.Domain.TlsRpt;
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
/// again on restart, found to be a duplicate, and moved: nothing is counted twice. With several
/// instances on one database, only the holder of the mailbox's lease reads it; another takes
/// over when that instance dies.
/// </summary>
public sealed class MailboxWorker(MailboxOptions mailbox, ReportIngestor ingestor, MailboxStatusBoard board, Storage.LeaseKeeper leases, TimeProvider time,
    Observability.DaemonMetrics metrics, ILogger<MailboxWorker> logger)
    : BackgroundService
{
    // Messages are committed in groups of this many: one durable commit for a burst of mail.
    private const int GroupSize = 50;

    // RFC 2177 §3: clients should re-issue IDLE at least every 29 minutes.
    private static readonly TimeSpan IdleRestart = TimeSpan.FromMinutes(9);

    private readonly MailboxLoop _loop = new(mailbox.DisplayName, mailbox.MaxReconnectDelay, board, leases, time, metrics, logger);

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var trust = new MailboxTrust(mailbox);
        return _loop.RunAsync(
            async (token, onHealthy) =>
            {
                using var client = new ImapClient();
                await ConnectAsync(client, trust, token);
                board.Set(mailbox.DisplayName, connected: true, error: null);
                MailboxLog.Connected(logger, mailbox.DisplayName, mailbox.Folder, client.Capabilities.HasFlag(ImapCapabilities.Idle));
                await RunSessionAsync(client, onHealthy, token);
            },
            ex =>
            {
                // Servers count failed logins toward locking the account: after one, wait the longest.
                var (cause, loginRefused) = Describe(ex, trust);
                return (cause, loginRefused ? mailbox.MaxReconnectDelay : null);
            },
            stoppingToken);
    }

    /// <summary>The lease that makes one instance the reader of this mailbox.</summary>
    public string Lease => _loop.Lease;

    // UIDs of mail that is not a TLS report and was left in the folder, within one UIDVALIDITY.
    private readonly HashSet<uint> _left = [];
    private uint _leftUidValidity;

    // The OAuth2 token source (Auth=OAuth2), and whether the server refused its last token.
    private readonly OAuth2.AccessTokenSource? _tokens = mailbox.Auth == MailboxAuth.OAuth2
        ? OAuth2.AccessTokenSource.Create(mailbox.OAuth2, mailbox.User, OAuth2.AccessTokenSource.ImapScope(mailbox.OAuth2.Provider))
        : null;

    private bool _tokenRefused;

    private int Port => mailbox.Port != 0 ? mailbox.Port : mailbox.Tls == MailboxTls.Implicit ? 993 : 143;

    /// <summary>The cause of a failure in one line, and whether it was a refused login.</summary>
    private (string Cause, bool LoginRefused) Describe(Exception ex, MailboxTrust trust) => ex switch
    {
        // A refused token is no password guess: reconnect soon, with a new token.
        AuthenticationException when _tokens is not null => ($"the OAuth2 token for {mailbox.User} was refused: {ex.Message}; a new one will be asked of {_tokens.Issuer}", false),
        AuthenticationException => ($"login refused for {mailbox.User}: {ex.Message}", true),
        // The issuer refused (a wrong secret, no consent): asking again soon would be refused again.
        OAuth2.TokenUnavailableException token => ($"no OAuth2 token: {token.Message}", token.Refused),
        SslHandshakeException when trust.LastProblem is { } problem => ($"TLS with {mailbox.Host}:{Port} refused: {problem}", false),
        SslHandshakeException => ($"TLS with {mailbox.Host}:{Port} failed: {ExceptionText.Innermost(ex)}", false),
        System.Net.Sockets.SocketException socket => ($"cannot connect to {mailbox.Host}:{Port}: {ExceptionText.Describe(socket)}", false),
        ImapCommandException command => ($"the server refused a command: {command.Message}", false),
        ImapProtocolException or IOException => ($"connection to {mailbox.Host}:{Port} lost: {ExceptionText.Innermost(ex)}", false),
        Persistence.StoreUnavailableException => ($"the store could not commit: {ex.Message}", false),
        FolderNotFoundException folder => ($"folder '{folder.FolderName}' does not exist on the server", false),
        _ => ($"{ex.GetType().Name}: {ex.Message}", false),
    };

    private async Task ConnectAsync(ImapClient client, MailboxTrust trust, CancellationToken cancellationToken)
    {
        var options = mailbox.Tls switch
        {
            MailboxTls.Implicit => SecureSocketOptions.SslOnConnect,
            MailboxTls.StartTls => SecureSocketOptions.StartTls,
            _ => SecureSocketOptions.None,
        };
        client.Timeout = 60_000;
        client.CheckCertificateRevocation = mailbox.RevocationCheck != RevocationCheck.Off;
        client.ServerCertificateValidationCallback = trust.Validate;
        await client.ConnectAsync(mailbox.Host, Port, options, cancellationToken);

        if (_tokens is not null)
        {
            await LogInWithTokenAsync(client, _tokens, cancellationToken);
            return;
        }

        // One login attempt per connection: MailKit would otherwise try every mechanism the
        // server offers in turn, and each failure counts toward the account's lockout.
        var credentials = new System.Net.NetworkCredential(mailbox.User, mailbox.ReadPassword());
        if (client.AuthenticationMechanisms.Contains("PLAIN"))
        {
            await client.AuthenticateAsync(new SaslMechanismPlain(credentials), cancellationToken);
        }
        else
        {
            client.AuthenticationMechanisms.Clear(); // the IMAP LOGIN command (RFC 9051 §6.2.3)
            await client.AuthenticateAsync(credentials, cancellationToken);
        }
    }

    /// <summary>
    /// XOAUTH2 (Exchange Online, Gmail), else OAUTHBEARER (RFC 7628), with a token from the
    /// source: the cached one, or a new one when the server refused the last.
    /// </summary>
    private async Task LogInWithTokenAsync(ImapClient client, OAuth2.AccessTokenSource tokens, CancellationToken cancellationToken)
    {
        var token = await tokens.GetAsync(_tokenRefused, cancellationToken);
        _tokenRefused = false;
        SaslMechanism mechanism = client.AuthenticationMechanisms.Contains("XOAUTH2") ? new SaslMechanismOAuth2(mailbox.User, token)
            : client.AuthenticationMechanisms.Contains("OAUTHBEARER") ? new SaslMechanismOAuthBearer(mailbox.User, token)
            : throw new AuthenticationException($"{mailbox.Host} offers neither XOAUTH2 nor OAUTHBEARER (it offers {string.Join(", ", client.AuthenticationMechanisms)})");
        try
        {
            await client.AuthenticateAsync(mechanism, cancellationToken);
        }
        catch (AuthenticationException)
        {
            // An expired or revoked token: the next connection asks the issuer for a new one.
            _tokenRefused = true;
            throw;
        }
    }

    private async Task RunSessionAsync(ImapClient client, Action onHealthy, CancellationToken stoppingToken)
    {
        var processed = await EnsureFolderAsync(client, mailbox.ProcessedFolder, stoppingToken);
        var invalid = await EnsureFolderAsync(client, mailbox.InvalidFolder, stoppingToken);
        var other = mailbox.OtherMail == OtherMail.Move ? await EnsureFolderAsync(client, mailbox.OtherFolder, stoppingToken) : null;
        var inbox = await client.GetFolderAsync(ServerPath(client, mailbox.Folder), stoppingToken);
        await inbox.OpenAsync(FolderAccess.ReadWrite, stoppingToken);
        if (inbox.UidValidity != _leftUidValidity)
        {
            // UIDs name messages only within one UIDVALIDITY (RFC 9051 §2.3.1.1).
            _left.Clear();
            _leftUidValidity = inbox.UidValidity;
        }
        var idle = client.Capabilities.HasFlag(ImapCapabilities.Idle);
        while (!stoppingToken.IsCancellationRequested)
        {
            await DrainAsync(inbox, processed, invalid, other, stoppingToken);
            onHealthy();
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
    private async Task DrainAsync(IMailFolder inbox, IMailFolder processed, IMailFolder invalid, IMailFolder? other, CancellationToken cancellationToken)
    {
        // Mail that is not a TLS report and is left in place is read once, not at every drain.
        var uids = (await inbox.SearchAsync(SearchQuery.NotDeleted, cancellationToken)).Where(u => !_left.Contains(u.Id)).ToList();
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
            var results = await ingestor.IngestAsync(group.Select(g => g.Item).ToList(), cancellationToken, recordOtherMail: other is not null);
            var left = 0;
            for (var i = 0; i < group.Count; i++)
            {
                var uid = group[i].Uid;
                switch (mailbox.DestinationOf(results[i].Status))
                {
                    case MessageDestination.Processed:
                        await inbox.MoveToAsync(uid, processed, cancellationToken);
                        break;
                    case MessageDestination.Invalid:
                        await inbox.MoveToAsync(uid, invalid, cancellationToken);
                        break;
                    case MessageDestination.Other:
                        await inbox.MoveToAsync(uid, other!, cancellationToken);
                        break;
                    default:
                        // Someone else's mail (a DMARC report in a shared rua mailbox): leave it for them.
                        if (mailbox.OtherMail == OtherMail.MarkSeen)
                        {
                            await inbox.AddFlagsAsync(uid, MessageFlags.Seen, silent: true, cancellationToken);
                        }

                        _left.Add(uid.Id);
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

    /// <summary>
    /// A folder path as written in the settings (levels separated by '/') in the server's own
    /// separator: Dovecot's Maildir default, Courier and cPanel use '.'.
    /// </summary>
    public static string ServerPath(ImapClient client, string path)
    {
        var separator = client.PersonalNamespaces.Count > 0 ? client.PersonalNamespaces[0].DirectorySeparator : '/';
        return string.Join(separator, path.Split('/', StringSplitOptions.RemoveEmptyEntries));
    }

    private static async Task<IMailFolder> EnsureFolderAsync(ImapClient client, string path, CancellationToken cancellationToken)
    {
        try
        {
            return await client.GetFolderAsync(ServerPath(client, path), cancellationToken);
        }
        catch (FolderNotFoundException)
        {
        }

        var parent = client.GetFolder(client.PersonalNamespaces[0]);
        foreach (var name in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
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

    /// <summary>Records a mailbox's state: not connected without an error is a standby (another instance reads it).</summary>
    public void Set(string mailbox, bool connected, string? error) => _states[mailbox] = (connected, error);

    /// <summary>The state of a mailbox, if it has reported one.</summary>
    public (bool Connected, string? Error)? Get(string mailbox) => _states.TryGetValue(mailbox, out var s) ? s : null;
}

internal static partial class MailboxLog
{
    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Mailbox {Mailbox}: connected, reading {Folder} (IDLE: {Idle})")]
    public static partial void Connected(ILogger logger, string mailbox, string folder, bool idle);

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "Mailbox {Mailbox}: {Cause}; retrying in {DelaySeconds} s")]
    public static partial void Failed(ILogger logger, string mailbox, string cause, double delaySeconds);

    [LoggerMessage(EventId = 403, Level = LogLevel.Information, Message = "Mailbox {Mailbox}: left {Count} messages that are not TLS reports in {Folder} (Ingestion:Mailboxes:N:OtherMail)")]
    public static partial void LeftOtherMail(ILogger logger, string mailbox, int count, string folder);

    // The stack trace, for those who turn on debug logging; the warning above is the one line an admin reads.
    [LoggerMessage(EventId = 402, Level = LogLevel.Debug, Message = "Mailbox {Mailbox}: failure detail")]
    public static partial void FailureDetail(ILogger logger, string mailbox, Exception exception);
}
