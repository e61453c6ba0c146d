using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MtaStsReporting.Daemon.Ingestion.Imap;
using MtaStsReporting.Daemon.Tests.Support;

namespace MtaStsReporting.Daemon.Tests.Ingestion;

/// <summary>
/// Mailboxes as real servers are set up: a '.' hierarchy separator, STARTTLS with a certificate
/// from an internal CA (without CRL addresses), a wrong password. Each against a real Dovecot.
/// </summary>
public sealed class MailboxServerTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static async Task<string?> ErrorEventuallyAsync(InProcessDaemon daemon, string contains)
    {
        var board = daemon.Services.GetRequiredService<MailboxStatusBoard>();
        await DovecotServer.EventuallyAsync(() => Task.FromResult(board.Get("test")?.Error?.Contains(contains, StringComparison.Ordinal) == true), $"mailbox error with '{contains}'", seconds: 20);
        return board.Get("test")?.Error;
    }

    [Fact]
    public async Task Folders_are_written_with_slashes_and_created_with_the_servers_separator()
    {
        await using var dovecot = await DovecotServer.StartAsync(new DovecotSettings(Separator: '.'));
        await dovecot.AppendAsync(TestReports.ReportMail("dot-1"));

        await using var daemon = await InProcessDaemon.StartAsync(dovecot.MailboxArgs());

        await DovecotServer.EventuallyAsync(async () => (await dovecot.MessageIdsAsync("TLSRPT.Processed")).Count == 1, "moved to TLSRPT.Processed");
        Assert.Empty(await dovecot.MessageIdsAsync("INBOX"));
        await using var db = daemon.Store.Open();
        Assert.Equal("dot-1", (await db.TlsReports.SingleAsync()).ReportId);
    }

    [Fact]
    public async Task A_wrong_password_is_tried_once_then_the_worker_waits_long()
    {
        await using var dovecot = await DovecotServer.StartAsync();
        var wrong = Path.Combine(_dir.Path, "wrong");
        await File.WriteAllTextAsync(wrong, "not-the-password\n");
        string[] args = [.. dovecot.MailboxArgs().Where(a => !a.Contains("PasswordFile", StringComparison.Ordinal) && !a.Contains("MaxReconnectDelay", StringComparison.Ordinal)),
            $"--Ingestion:Mailboxes:0:PasswordFile={wrong}", "--Ingestion:Mailboxes:0:MaxReconnectDelay=00:01:00"];

        await using var daemon = await InProcessDaemon.StartAsync(args);
        var error = await ErrorEventuallyAsync(daemon, "login refused");
        await Task.Delay(TimeSpan.FromSeconds(4)); // a second, fourth, eighth… try would come within this

        Assert.Equal($"login refused for {DovecotServer.User}: Authentication failed.", error);
        Assert.Equal(1, dovecot.FailedLogins);
    }

    [Theory]
    // TrustedCaFile given?, RevocationCheck → the error's words, or null when the mail is read
    [InlineData(true, "BestEffort", null)]
    [InlineData(true, "Off", null)]
    [InlineData(true, "Required", "revocation: the certificate's revocation status could not be checked")]
    [InlineData(false, "BestEffort", "is not trusted")]
    public async Task An_internal_ca_is_trusted_per_mailbox_and_revocation_is_a_setting(bool trustCa, string revocation, string? refusal)
    {
        using var pki = new TestPki();
        using var certificate = pki.Issue("localhost");
        await using var dovecot = await DovecotServer.StartAsync(new DovecotSettings(Certificate: TestPki.WritePem(certificate, _dir.Path, "imap")));
        await dovecot.AppendAsync(TestReports.ReportMail("tls-1"));
        var caFile = pki.WriteAuthorityPem(_dir.Path);
        string[] args = [.. dovecot.MailboxArgs().Where(a => !a.Contains(":Tls=", StringComparison.Ordinal) && !a.Contains(":Host=", StringComparison.Ordinal)),
            "--Ingestion:Mailboxes:0:Host=localhost", "--Ingestion:Mailboxes:0:Tls=StartTls", $"--Ingestion:Mailboxes:0:RevocationCheck={revocation}",
            .. trustCa ? new[] { $"--Ingestion:Mailboxes:0:TrustedCaFile={caFile}" } : []];

        await using var daemon = await InProcessDaemon.StartAsync(args);

        if (refusal is null)
        {
            await DovecotServer.EventuallyAsync(async () => (await dovecot.MessageIdsAsync("TLSRPT/Processed")).Count == 1, "read over TLS");
        }
        else
        {
            var error = await ErrorEventuallyAsync(daemon, refusal);
            Assert.StartsWith($"TLS with localhost:{dovecot.Port} refused: ", error);
            Assert.Single(await dovecot.MessageIdsAsync("INBOX"));
        }
    }
}
