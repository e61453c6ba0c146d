namespace MtaStsReporting.Daemon.Tests.Support;

/// <summary>
/// A real Postfix (Debian's postfix, installed by ./test.sh) as its own instance: its own
/// configuration and queue in a throw-away folder, SMTP on a free loopback port, relaying for
/// 127.0.0.0/8 only, and delivering mail for one domain over LMTP into a Dovecot.
/// </summary>
public sealed class PostfixServer : IAsyncDisposable
{
    private const string Binary = "/usr/sbin/postfix";
    private const string AccessMap = "inline:{ {" + RefusedAddress + "=REJECT no such mailbox}, {" + DeferredAddress + "=DEFER mailbox busy} }";
    private readonly TempDirectory _dir = new();

    private PostfixServer(int port) => Port = port;

    public int Port { get; }

    /// <summary>RCPT TO this address is answered 554 (permanent).</summary>
    public const string RefusedAddress = "refused@example.org";

    /// <summary>RCPT TO this address is answered 450 (temporary).</summary>
    public const string DeferredAddress = "deferred@example.org";

    public string Log => File.Exists(Path.Combine(_dir.Path, "postfix.log")) ? File.ReadAllText(Path.Combine(_dir.Path, "postfix.log")) : "(no log)";

    /// <summary>
    /// Starts it; mail for <paramref name="domain"/> goes to 127.0.0.1:<paramref name="lmtpPort"/>.
    /// With <paramref name="tls"/> (PEM certificate and key files) it offers STARTTLS.
    /// </summary>
    public static async Task<PostfixServer> StartAsync(string domain, int lmtpPort, (string Certificate, string Key)? tls = null)
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException($"{Binary} is missing: run the tests through ./test.sh, which installs postfix.");
        }

        var server = new PostfixServer(Loopback.FreePort());
        var d = server._dir.Path;
        Command.RunChecked("chmod", "755", d);
        Directory.CreateDirectory(Path.Combine(d, "queue"));
        Directory.CreateDirectory(Path.Combine(d, "data"));
        // The master takes its lock in the data directory as the mail owner.
        Command.RunChecked("chown", "postfix", Path.Combine(d, "data"));
        File.WriteAllText(Path.Combine(d, "main.cf"), $"""
            compatibility_level = 3.6
            queue_directory = {d}/queue
            data_directory = {d}/data
            mail_owner = postfix
            setgid_group = postdrop
            inet_interfaces = 127.0.0.1
            inet_protocols = ipv4
            myhostname = relay.test.example
            mydestination =
            mynetworks = 127.0.0.0/8
            relay_domains =
            virtual_mailbox_domains = {domain}
            virtual_transport = lmtp:inet:127.0.0.1:{lmtpPort}
            smtpd_relay_restrictions = permit_mynetworks, reject
            # Two addresses that answer as a receiving MTA may: refused for good, and "try later".
            smtpd_recipient_restrictions = check_recipient_access {AccessMap}, permit_mynetworks, reject
            maillog_file_prefixes = {d}
            maillog_file = {d}/postfix.log
            alias_maps =
            alias_database =
            biff = no
            smtp_dns_support_level = disabled
            lmtp_host_lookup = native
            smtp_host_lookup = native
            {(tls is { } t ? $"smtpd_tls_cert_file = {t.Certificate}\nsmtpd_tls_key_file = {t.Key}\nsmtpd_tls_security_level = may\nsmtpd_tls_loglevel = 1" : "smtpd_tls_security_level = none")}
            queue_run_delay = 1s
            minimal_backoff_time = 1s
            maximal_backoff_time = 2s
            """);
        File.WriteAllText(Path.Combine(d, "master.cf"), $"""
            127.0.0.1:{server.Port} inet n - n - - smtpd
            pickup    unix  n       -       n       60      1       pickup
            cleanup   unix  n       -       n       -       0       cleanup
            qmgr      unix  n       -       n       300     1       qmgr
            rewrite   unix  -       -       n       -       -       trivial-rewrite
            bounce    unix  -       -       n       -       0       bounce
            defer     unix  -       -       n       -       0       bounce
            trace     unix  -       -       n       -       0       bounce
            verify    unix  -       -       n       -       1       verify
            flush     unix  n       -       n       1000?   0       flush
            proxymap  unix  -       -       n       -       -       proxymap
            smtp      unix  -       -       n       -       -       smtp
            relay     unix  -       -       n       -       -       smtp
            showq     unix  n       -       n       -       -       showq
            error     unix  -       -       n       -       -       error
            retry     unix  -       -       n       -       -       error
            discard   unix  -       -       n       -       -       discard
            lmtp      unix  -       -       n       -       -       lmtp
            anvil     unix  -       -       n       -       1       anvil
            scache    unix  -       -       n       -       1       scache
            postlog   unix-dgram n  -       n       -       1       postlogd
            tlsmgr    unix  -       -       n       1000?   1       tlsmgr
            """);
        var (code, output) = Command.Run(Binary, "-c", d, "start");
        if (code != 0 || !await Loopback.WaitForListenerAsync(server.Port, TimeSpan.FromSeconds(20)))
        {
            throw new InvalidOperationException($"Postfix did not start ({code}): {output} {server.Log}");
        }

        return server;
    }

    public ValueTask DisposeAsync()
    {
        Command.Run(Binary, "-c", _dir.Path, "abort");
        // The master leaves when told; its children follow it within a second or two.
        for (var i = 0; i < 50 && File.Exists(Path.Combine(_dir.Path, "data", "master.lock")) && MasterRuns(); i++)
        {
            Thread.Sleep(100);
        }

        _dir.Dispose();
        return ValueTask.CompletedTask;
    }

    private bool MasterRuns() => Command.Run(Binary, "-c", _dir.Path, "status").ExitCode == 0;
}
