using MtaStsReporting.Daemon.Outbound;
using MtaStsReporting.Daemon.Tests.Support;

namespace MtaStsReporting.Daemon.Tests.Outbound;

/// <summary>Sending is refused at start, with every problem named, unless a report could be sent as RFC 8460 asks.</summary>
public sealed class OutboundOptionsValidatorTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private OutboundOptions Valid()
    {
        var key = Path.Combine(_dir.Path, "dkim.pem");
        using (var rsa = System.Security.Cryptography.RSA.Create(2048))
        {
            File.WriteAllText(key, rsa.ExportRSAPrivateKeyPem());
        }

        return new OutboundOptions
        {
            Enabled = true, OrganizationName = "Org", ContactInfo = "mailto:postmaster@example.net", SubmitterDomain = "example.net",
            Mail = { Host = "smtp.example.net", DkimKeyFile = key, DkimSelector = "s1" },
        };
    }

    private static IReadOnlyList<string> Problems(OutboundOptions o) =>
        new OutboundOptionsValidator().Validate(null, o) is { Failed: true } r ? [.. r.Failures!] : [];

    [Fact]
    public void Complete_settings_pass_and_nothing_is_checked_while_sending_is_off()
    {
        Assert.Empty(Problems(Valid()));
        Assert.Empty(Problems(new OutboundOptions()));
    }

    public static TheoryData<string, Action<OutboundOptions>> Broken => new()
    {
        { "Outbound:OrganizationName is required", o => o.OrganizationName = " " },
        { "Outbound:ContactInfo is required", o => o.ContactInfo = "" },
        { "Outbound:SubmitterDomain 'not a domain' is not a domain name", o => o.SubmitterDomain = "not a domain" },
        { "Outbound:Mail:Host is required", o => o.Mail.Host = "" },
        { "Outbound:Mail:DkimKeyFile and Outbound:Mail:DkimSelector are required", o => o.Mail.DkimSelector = null },
        { "Outbound:Mail:DkimKeyFile '/nonexistent/dkim.pem' does not exist", o => o.Mail.DkimKeyFile = "/nonexistent/dkim.pem" },
        { "Outbound:Mail:PasswordFile must name an existing file when Outbound:Mail:User is set", o => o.Mail.User = "tlsrpt" },
        { "Outbound:Mail:TrustedCaFile '/nonexistent/ca.pem' does not exist", o => o.Mail.TrustedCaFile = "/nonexistent/ca.pem" },
        { "Outbound:HttpsTrustedCaFile '/nonexistent/ca.pem' does not exist", o => o.HttpsTrustedCaFile = "/nonexistent/ca.pem" },
        { "Outbound:Mail:From 'nobody' is not a mail address", o => o.Mail.From = "nobody" },
        { "Outbound:FirstRetry must be more than zero", o => o.FirstRetry = TimeSpan.Zero },
        { "Outbound:GiveUpAfter must be more than zero", o => o.GiveUpAfter = TimeSpan.FromSeconds(-1) },
        { "Outbound:BuildDelay and Outbound:SpreadWindow may not be negative", o => o.SpreadWindow = TimeSpan.FromSeconds(-1) },
        { "Outbound:LookbackDays, Outbound:SuppressAfter and Outbound:MaxParallelDeliveries must be at least 1", o => o.MaxParallelDeliveries = 0 },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void Each_missing_or_bad_setting_is_named(string problem, Action<OutboundOptions> spoil)
    {
        var options = Valid();
        spoil(options);

        Assert.Contains(Problems(options), p => p.StartsWith(problem, StringComparison.Ordinal));
    }

    [Fact]
    public void A_key_file_that_holds_no_private_key_is_named_at_start_not_at_the_first_report()
    {
        var options = Valid();
        var file = Path.Combine(_dir.Path, "not-a-key.pem");
        File.WriteAllText(file, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
        options.Mail.DkimKeyFile = file;

        Assert.StartsWith($"Outbound:Mail:DkimKeyFile '{file}' holds no private key MimeKit can sign with: ", Assert.Single(Problems(options)), StringComparison.Ordinal);
    }

    [Fact]
    public void Zero_build_delay_and_spread_are_allowed_and_one_is_the_least_of_the_counts()
    {
        var options = Valid();
        options.BuildDelay = TimeSpan.Zero;
        options.SpreadWindow = TimeSpan.Zero;
        options.LookbackDays = 1;
        options.SuppressAfter = 1;
        options.MaxParallelDeliveries = 1;

        Assert.Empty(Problems(options));
    }

    public void Dispose() => _dir.Dispose();
}
