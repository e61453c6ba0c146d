using System.Diagnostics;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MimeKit;

namespace MtaStsReporting.Daemon.Tests.Support;

/// <summary>
/// A real Dovecot IMAP server (Debian's dovecot-imapd, installed by ./test.sh) on a free
/// loopback port, with a throw-away configuration, mail store and one user.
/// </summary>
public sealed class DovecotServer : IAsyncDisposable
{
    public const string User = "reports@example.org";
    public const string Password = "s3cret-for-tests";
    private const string Binary = "/usr/sbin/dovecot";

    private readonly TempDirectory _dir = new();
    private Process? _process;

    private readonly DovecotSettings _settings;

    private DovecotServer(int port, DovecotSettings settings)
    {
        Port = port;
        _settings = settings;
    }

    public int Port { get; }

    /// <summary>The LMTP port (RFC 2033) an MTA delivers into, when <see cref="DovecotSettings.Lmtp"/> is set; otherwise 0.</summary>
    public int LmtpPort { get; private set; }

    public string PasswordFile => Path.Combine(_dir.Path, "password");

    /// <summary>Settings that point the daemon's mailbox 0 at this server.</summary>
    public string[] MailboxArgs(TimeSpan? pollInterval = null) =>
    [
        "--Ingestion:Mailboxes:0:Name=test",
        "--Ingestion:Mailboxes:0:Host=127.0.0.1",
        $"--Ingestion:Mailboxes:0:Port={Port}",
        "--Ingestion:Mailboxes:0:Tls=None",
        $"--Ingestion:Mailboxes:0:User={User}",
        $"--Ingestion:Mailboxes:0:PasswordFile={PasswordFile}",
        $"--Ingestion:Mailboxes:0:PollInterval={pollInterval ?? TimeSpan.FromHours(1)}",
        "--Ingestion:Mailboxes:0:MaxReconnectDelay=00:00:01",
    ];

    public static async Task<DovecotServer> StartAsync(DovecotSettings? settings = null)
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException($"{Binary} is missing: run the tests through ./test.sh, which installs dovecot-imapd.");
        }

        var server = new DovecotServer(Loopback.FreePort(), settings ?? new DovecotSettings());
        if (server._settings.Lmtp)
        {
            server.LmtpPort = Loopback.FreePort();
        }

        server.WriteConfiguration();
        await server.StartProcessAsync();
        return server;
    }

    private void WriteConfiguration()
    {
        var d = _dir.Path;
        // Dovecot's auth and mail processes run as unprivileged users: they must reach the files.
        Command.RunChecked("chmod", "755", d);
        Directory.CreateDirectory(Path.Combine(d, "home"));
        Directory.CreateDirectory(Path.Combine(d, "run"));
        Directory.CreateDirectory(Path.Combine(d, "state"));
        File.WriteAllText(Path.Combine(d, "users"), $"{User}:{{PLAIN}}{Password}\n");
        File.WriteAllText(PasswordFile, Password + "\n");
        // Mail is stored as the dovecot user: Dovecot refuses mail access as root.
        Command.RunChecked("chown", "-R", "dovecot:dovecot", Path.Combine(d, "home"));
        if (_settings.OAuth2IntrospectionUrl is { } introspection)
        {
            // Every token is asked about (RFC 7662): active, and for this user.
            File.WriteAllText(Path.Combine(d, "oauth2.conf"), $"""
                introspection_url = {introspection}
                introspection_mode = post
                force_introspection = yes
                username_attribute = username
                active_attribute = active
                active_value = true
                """);
        }

        File.WriteAllText(Path.Combine(d, "dovecot.conf"), $$"""
            protocols = imap{{(_settings.Lmtp ? " lmtp" : "")}}
            listen = 127.0.0.1
            postmaster_address = postmaster@example.org
            base_dir = {{d}}/run
            state_dir = {{d}}/state
            log_path = {{d}}/dovecot.log
            {{(_settings.Certificate is { } c ? $"ssl = yes\nssl_cert = <{c.Certificate}\nssl_key = <{c.Key}" : "ssl = no")}}
            disable_plaintext_auth = no
            auth_verbose = yes
            auth_mechanisms = plain login{{(_settings.OAuth2IntrospectionUrl is null ? "" : " xoauth2 oauthbearer")}}
            first_valid_uid = 1
            mail_location = maildir:~/Maildir
            service imap-login {
              chroot =
              inet_listener imap {
                address = 127.0.0.1
                port = {{Port}}
              }
              inet_listener imaps {
                port = 0
              }
            }
            service anvil {
              chroot =
            }
            {{(_settings.Lmtp ? $"service lmtp {{\n  inet_listener lmtp {{\n    address = 127.0.0.1\n    port = {LmtpPort}\n  }}\n}}" : "")}}
            {{(_settings.OAuth2IntrospectionUrl is null ? "" : $"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = {d}/oauth2.conf\n}}")}}
            # No mechanisms filter here: the user lookups of LMTP and of the static userdb go through this passdb.
            passdb {
              driver = passwd-file
              args = scheme=PLAIN username_format=%u {{d}}/users
            }
            userdb {
              driver = static
              args = uid=dovecot gid=dovecot home={{d}}/home/%u
            }
            namespace inbox {
              inbox = yes
              separator = {{_settings.Separator}}
            }
            """);
    }

    private async Task StartProcessAsync()
    {
        var start = new ProcessStartInfo(Binary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-F", "-c", Path.Combine(_dir.Path, "dovecot.conf") })
        {
            start.ArgumentList.Add(a);
        }

        _process = Process.Start(start)!;
        if (!await Loopback.WaitForListenerAsync(Port, TimeSpan.FromSeconds(20)))
        {
            throw new InvalidOperationException("Dovecot did not start: " + Log);
        }
    }

    /// <summary>Failed logins Dovecot logged (auth_verbose).</summary>
    public int FailedLogins => Log.Split('\n').Count(l => l.Contains("Password mismatch", StringComparison.Ordinal));

    public string Log => File.Exists(Path.Combine(_dir.Path, "dovecot.log")) ? File.ReadAllText(Path.Combine(_dir.Path, "dovecot.log")) : "(no log)";

    /// <summary>Stops the server (SIGTERM to the master), as an admin's restart would.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            Command.RunChecked("kill", "-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await _process.WaitForExitAsync(timeout.Token);
        }

        _process = null;
    }

    public Task RestartAsync() => StartProcessAsync();

    /// <summary>
    /// Ends every open IMAP session (its imap process) while the server keeps running, as a
    /// server does when a session's token expires: the client must log in again. (A restart of
    /// the master process would not do: sessions outlive it.)
    /// </summary>
    public void DropSessions()
    {
        var (_, children) = Command.Run("ps", ["--ppid", _process!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", "pid=,comm="]);
        foreach (var line in children.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && parts[1] == "imap")
            {
                Command.Run("kill", ["-TERM", parts[0]]);
            }
        }
    }

    public async Task<ImapClient> ConnectAsync()
    {
        var client = new ImapClient();
        await client.ConnectAsync("127.0.0.1", Port, SecureSocketOptions.None);
        await client.AuthenticateAsync(User, Password);
        return client;
    }

    /// <summary>Delivers a message into a folder, as the MTA would.</summary>
    public async Task AppendAsync(byte[] message, string folder = "INBOX")
    {
        using var client = await ConnectAsync();
        var target = await client.GetFolderAsync(folder);
        await target.AppendAsync(MimeMessage.Load(new MemoryStream(message)));
        await client.DisconnectAsync(true);
    }

    /// <summary>Message-IDs in a folder with whether each is marked \Seen.</summary>
    public async Task<List<(string MessageId, bool Seen)>> MessagesAsync(string folder)
    {
        using var client = await ConnectAsync();
        var f = await client.GetFolderAsync(folder);
        await f.OpenAsync(FolderAccess.ReadOnly);
        var list = f.Count == 0 ? [] : (await f.FetchAsync(0, -1, MessageSummaryItems.Envelope | MessageSummaryItems.Flags))
            .Select(s => (s.Envelope?.MessageId ?? "(none)", s.Flags?.HasFlag(MessageFlags.Seen) == true)).ToList();
        await client.DisconnectAsync(true);
        return list;
    }

    /// <summary>Message-IDs in a folder (empty when the folder does not exist).</summary>
    public async Task<List<string>> MessageIdsAsync(string folder)
    {
        using var client = await ConnectAsync();
        try
        {
            var f = await client.GetFolderAsync(folder);
            await f.OpenAsync(FolderAccess.ReadOnly);
            var ids = f.Count == 0 ? [] : (await f.FetchAsync(0, -1, MessageSummaryItems.Envelope)).Select(s => s.Envelope?.MessageId ?? "(none)").ToList();
            await client.DisconnectAsync(true);
            return ids;
        }
        catch (FolderNotFoundException)
        {
            return [];
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds, or fails after <paramref name="seconds"/>.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"not within {seconds} s: {what}");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            _dir.Dispose();
        }
    }
}

/// <summary>How a test's Dovecot differs from the plain one.</summary>
/// <param name="Separator">The hierarchy separator ('.' as with Maildir++, Courier, cPanel).</param>
/// <param name="Certificate">PEM certificate and key files: STARTTLS offered on the port.</param>
/// <param name="Lmtp">Also an LMTP listener (Debian's dovecot-lmtpd), for an MTA to deliver into.</param>
/// <param name="OAuth2IntrospectionUrl">When set, XOAUTH2 and OAUTHBEARER logins are checked by Dovecot's oauth2 passdb against this RFC 7662 endpoint.</param>
public sealed record DovecotSettings(char Separator = '/', (string Certificate, string Key)? Certificate = null, bool Lmtp = false, string? OAuth2IntrospectionUrl = null);
