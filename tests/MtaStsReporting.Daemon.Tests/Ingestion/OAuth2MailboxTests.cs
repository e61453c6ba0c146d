using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MtaStsReporting.Daemon.Ingestion.Imap;
using MtaStsReporting.Daemon.Tests.Support;

namespace MtaStsReporting.Daemon.Tests.Ingestion;

/// <summary>
/// OAuth2 mailboxes end to end: Dovecot's oauth2 passdb checks every XOAUTH2 token against the
/// test's introspection endpoint (RFC 7662), and the test's own token endpoints answer MSAL's
/// client-credentials request (Exchange Online) and Google.Apis.Auth's signed JWT (Google
/// Workspace). What runs is the daemon's own: the token request, its cache and renewal,
/// MailKit's XOAUTH2, and the reconnection with a new token after the server refused one.
/// </summary>
public sealed class OAuth2MailboxTests : IAsyncLifetime
{
    private const string Processed = "TLSRPT/Processed";
    private readonly TempDirectory _dir = new();
    private readonly TestPki _pki = new();
    private OAuth2Issuer _issuer = null!;
    private DovecotServer _dovecot = null!;
    private string _caFile = null!;
    private System.Security.Cryptography.X509Certificates.X509Certificate2 _certificate = null!;

    public async Task InitializeAsync()
    {
        _caFile = _pki.WriteAuthorityPem(_dir.Path);
        // Kept for the issuer's lifetime: Kestrel uses its key at each handshake.
        _certificate = _pki.Issue("localhost");
        _issuer = await OAuth2Issuer.StartAsync(_certificate, DovecotServer.User);
        _dovecot = await DovecotServer.StartAsync(new DovecotSettings(OAuth2IntrospectionUrl: _issuer.IntrospectionUrl));
    }

    public async Task DisposeAsync()
    {
        await _dovecot.DisposeAsync();
        await _issuer.DisposeAsync();
        _certificate.Dispose();
        _pki.Dispose();
        _dir.Dispose();
    }

    private string[] Microsoft(string? secret = null)
    {
        var secretFile = Path.Combine(_dir.Path, "client-secret");
        File.WriteAllText(secretFile, (secret ?? _issuer.ClientSecret) + "\n");
        return
        [
            .. _dovecot.MailboxArgs(), "--Ingestion:Mailboxes:0:Auth=OAuth2", "--Ingestion:Mailboxes:0:OAuth2:Provider=Microsoft",
            $"--Ingestion:Mailboxes:0:OAuth2:TenantId={OAuth2Issuer.Tenant}", $"--Ingestion:Mailboxes:0:OAuth2:ClientId={OAuth2Issuer.ClientId}",
            $"--Ingestion:Mailboxes:0:OAuth2:ClientSecretFile={secretFile}", $"--Ingestion:Mailboxes:0:OAuth2:Authority={_issuer.Authority}",
            $"--Ingestion:Mailboxes:0:OAuth2:TrustedCaFile={_caFile}",
        ];
    }

    private static async Task<int> ReportCountAsync(InProcessDaemon daemon)
    {
        await using var db = daemon.Store.Open();
        return await db.TlsReports.CountAsync();
    }

    private static (bool Connected, string? Error) State(InProcessDaemon daemon) =>
        daemon.Services.GetRequiredService<MailboxStatusBoard>().Get("test") ?? (false, "no state");

    [Fact]
    public async Task An_exchange_online_style_mailbox_logs_in_with_a_client_credentials_token()
    {
        await _dovecot.AppendAsync(TestReports.ReportMail("oauth-ms-1"));

        await using var daemon = await InProcessDaemon.StartAsync(Microsoft());

        await DovecotServer.EventuallyAsync(async () => await ReportCountAsync(daemon) == 1, "report ingested over XOAUTH2");
        await DovecotServer.EventuallyAsync(async () => (await _dovecot.MessageIdsAsync(Processed)).Count == 1, "message moved");
        Assert.Equal(["microsoft"], _issuer.Issued);
        Assert.All(_issuer.Introspected, i => Assert.True(i.Active));
        Assert.Equal((true, null), State(daemon));
    }

    [Fact]
    public async Task An_app_certificate_instead_of_a_secret_signs_the_token_request()
    {
        using var appCertificate = _pki.IssueClient("tlsrpt-reader app");
        _issuer.ClientCertificate = appCertificate;
        var (certificate, key) = TestPki.WritePem(appCertificate, _dir.Path, "app");
        await _dovecot.AppendAsync(TestReports.ReportMail("oauth-ms-cert"));

        await using var daemon = await InProcessDaemon.StartAsync(
        [
            .. Microsoft().Where(a => !a.Contains("ClientSecretFile", StringComparison.Ordinal)),
            $"--Ingestion:Mailboxes:0:OAuth2:CertificateFile={certificate}", $"--Ingestion:Mailboxes:0:OAuth2:CertificateKeyFile={key}",
        ]);

        await DovecotServer.EventuallyAsync(async () => await ReportCountAsync(daemon) == 1, "report ingested with a certificate credential");
        Assert.Equal(["microsoft"], _issuer.Issued);
        Assert.Empty(_issuer.Refused);
    }

    [Fact]
    public async Task A_token_the_server_refuses_is_replaced_by_a_new_one_on_the_next_connection()
    {
        await using var daemon = await InProcessDaemon.StartAsync(Microsoft());
        await DovecotServer.EventuallyAsync(() => Task.FromResult(State(daemon).Connected), "mailbox connected");

        // The token expires (or is revoked) while the session is open; the server then drops it.
        _issuer.RevokeAll();
        _dovecot.DropSessions();
        await _dovecot.AppendAsync(TestReports.ReportMail("oauth-ms-2"));

        await DovecotServer.EventuallyAsync(async () => await ReportCountAsync(daemon) == 1, "report ingested with a new token");
        Assert.Equal(["microsoft", "microsoft"], _issuer.Issued);
        // The cached token was tried once and refused; the new one, asked past the cache, was accepted.
        var asked = _issuer.Introspected.ToList();
        Assert.Equal([true, false, true], Collapse(asked.Select(i => i.Active)));
        Assert.Contains(daemon.Logs.Lines, l => l.Message.Contains($"the OAuth2 token for {DovecotServer.User} was refused", StringComparison.Ordinal));
    }

    // Successive duplicates removed: Dovecot may ask about one token more than once.
    private static List<bool> Collapse(IEnumerable<bool> values)
    {
        var list = new List<bool>();
        foreach (var v in values)
        {
            if (list.Count == 0 || list[^1] != v)
            {
                list.Add(v);
            }
        }

        return list;
    }

    [Fact]
    public async Task A_token_about_to_expire_is_renewed_before_it_is_used()
    {
        // MSAL renews a token with less than five minutes left: one of four minutes is renewed at each use.
        _issuer.TokenLifetime = TimeSpan.FromMinutes(4);
        await using var daemon = await InProcessDaemon.StartAsync(Microsoft());
        await DovecotServer.EventuallyAsync(() => Task.FromResult(State(daemon).Connected), "mailbox connected");

        _dovecot.DropSessions();
        await _dovecot.AppendAsync(TestReports.ReportMail("oauth-ms-3"));

        await DovecotServer.EventuallyAsync(async () => await ReportCountAsync(daemon) == 1, "report ingested after the reconnection");
        Assert.Equal(["microsoft", "microsoft"], _issuer.Issued);
        Assert.All(_issuer.Introspected, i => Assert.True(i.Active));
    }

    [Fact]
    public async Task A_token_kept_in_the_cache_is_reused_on_the_next_connection()
    {
        await using var daemon = await InProcessDaemon.StartAsync(Microsoft());
        await DovecotServer.EventuallyAsync(() => Task.FromResult(State(daemon).Connected), "mailbox connected");

        _dovecot.DropSessions();
        await _dovecot.AppendAsync(TestReports.ReportMail("oauth-ms-4"));

        await DovecotServer.EventuallyAsync(async () => await ReportCountAsync(daemon) == 1, "report ingested after the reconnection");
        Assert.Equal(["microsoft"], _issuer.Issued);
    }

    [Fact]
    public async Task A_google_workspace_mailbox_logs_in_with_a_service_account_acting_as_its_user()
    {
        await _dovecot.AppendAsync(TestReports.ReportMail("oauth-google-1"));

        await using var daemon = await InProcessDaemon.StartAsync(
        [
            .. _dovecot.MailboxArgs(), "--Ingestion:Mailboxes:0:Auth=OAuth2", "--Ingestion:Mailboxes:0:OAuth2:Provider=Google",
            $"--Ingestion:Mailboxes:0:OAuth2:ServiceAccountKeyFile={_issuer.WriteServiceAccountKey(_dir.Path)}",
            $"--Ingestion:Mailboxes:0:OAuth2:TrustedCaFile={_caFile}",
        ]);

        await DovecotServer.EventuallyAsync(async () => await ReportCountAsync(daemon) == 1, "report ingested over XOAUTH2");
        Assert.Equal(["google"], _issuer.Issued);
        Assert.Empty(_issuer.Refused);
    }

    [Fact]
    public async Task A_wrong_client_secret_is_said_in_one_line_and_the_mail_server_is_not_asked()
    {
        await using var daemon = await InProcessDaemon.StartAsync(Microsoft(secret: "not-the-secret"));

        await DovecotServer.EventuallyAsync(() => Task.FromResult(State(daemon).Error?.StartsWith("no OAuth2 token", StringComparison.Ordinal) == true), "the failure reported");

        Assert.Equal(
            $"no OAuth2 token: {_issuer.Authority}{OAuth2Issuer.Tenant}/oauth2/v2.0/token refused the token request (HTTP 401, invalid_client): AADSTS7000215: Invalid client secret provided.",
            State(daemon).Error);
        Assert.StartsWith("invalid_client: ", _issuer.Refused.First(), StringComparison.Ordinal);
        Assert.Empty(_issuer.Introspected);
        Assert.Equal(0, _dovecot.FailedLogins);
    }
}
