using MtaStsReporting.Daemon.Ingestion.OAuth2;
using MtaStsReporting.Daemon.Tests.Support;

namespace MtaStsReporting.Daemon.Tests.Ingestion;

/// <summary>The OAuth2 settings of a mailbox: every mistake named with its setting, before anything is asked of anyone.</summary>
public sealed class OAuth2OptionsValidatorTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string File(string name, string content)
    {
        var path = Path.Combine(_dir.Path, name);
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    private List<string> Problems(OAuth2Options options)
    {
        var errors = new List<string>();
        OAuth2OptionsValidator.Validate(options, "Ingestion:Mailboxes:0:OAuth2", errors);
        return errors;
    }

    private OAuth2Options Microsoft() => new() { TenantId = "contoso.onmicrosoft.com", ClientId = "id", ClientSecretFile = File("secret", "s\n") };

    [Fact]
    public void Good_settings_for_each_provider_pass()
    {
        Assert.Empty(Problems(Microsoft()));
        Assert.Empty(Problems(new OAuth2Options
        {
            TenantId = "t", ClientId = "id", CertificateFile = File("c.pem", "x"), CertificateKeyFile = File("k.pem", "x"), Authority = "https://login.microsoftonline.us/",
        }));
        Assert.Empty(Problems(new OAuth2Options
        {
            Provider = OAuth2Provider.Google, ServiceAccountKeyFile = File("sa.json", """{"client_email":"a@b.iam.gserviceaccount.com","private_key":"-----BEGIN PRIVATE KEY-----"}"""),
        }));
    }

    public static TheoryData<string, string> MicrosoftMistakes => new()
    {
        { "tenant", "Ingestion:Mailboxes:0:OAuth2: TenantId and ClientId (of the app registration) are required." },
        { "client", "Ingestion:Mailboxes:0:OAuth2: TenantId and ClientId (of the app registration) are required." },
        { "both", "Ingestion:Mailboxes:0:OAuth2: set exactly one of ClientSecretFile and CertificateFile (with CertificateKeyFile)." },
        { "neither", "Ingestion:Mailboxes:0:OAuth2: set exactly one of ClientSecretFile and CertificateFile (with CertificateKeyFile)." },
        { "missing-secret", "Ingestion:Mailboxes:0:OAuth2:ClientSecretFile '/nonexistent/secret' does not exist." },
        { "no-key", "Ingestion:Mailboxes:0:OAuth2: CertificateFile '" },
        { "http-authority", "Ingestion:Mailboxes:0:OAuth2:Authority 'http://login.microsoftonline.com/' must be an https:// URL (the identity platform's, e.g. https://login.microsoftonline.com/)." },
        { "missing-ca", "Ingestion:Mailboxes:0:OAuth2:TrustedCaFile '/nonexistent/ca.pem' does not exist." },
        { "http-token-endpoint", "Ingestion:Mailboxes:0:OAuth2:TokenEndpoint 'http://127.0.0.1/token' must be an https:// URL." },
    };

    [Theory]
    [MemberData(nameof(MicrosoftMistakes))]
    public void Each_microsoft_mistake_is_named(string mistake, string problem)
    {
        var o = Microsoft();
        switch (mistake)
        {
            case "tenant": o.TenantId = " "; break;
            case "client": o.ClientId = null; break;
            case "both": o.CertificateFile = File("c.pem", "x"); break;
            case "neither": o.ClientSecretFile = null; break;
            case "missing-secret": o.ClientSecretFile = "/nonexistent/secret"; break;
            case "no-key": o.ClientSecretFile = null; o.CertificateFile = File("c.pem", "x"); break;
            case "http-authority": o.Authority = "http://login.microsoftonline.com/"; break;
            case "missing-ca": o.TrustedCaFile = "/nonexistent/ca.pem"; break;
            case "http-token-endpoint": o.TokenEndpoint = "http://127.0.0.1/token"; break;
        }

        Assert.StartsWith(problem, Assert.Single(Problems(o)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "Ingestion:Mailboxes:0:OAuth2:ServiceAccountKeyFile '' does not exist (the service account's JSON key).")]
    [InlineData("""{"client_email":"a@b"}""", "lacks client_email or private_key: download a JSON key of the service account.")]
    [InlineData("""{"client_email":1,"private_key":"k"}""", "lacks client_email or private_key")]
    [InlineData("not json", "cannot be read as a JSON key:")]
    public void Each_google_key_file_mistake_is_named(string? content, string problem)
    {
        var o = new OAuth2Options { Provider = OAuth2Provider.Google, ServiceAccountKeyFile = content is null ? null : File("sa.json", content) };

        Assert.Contains(problem, Assert.Single(Problems(o)), StringComparison.Ordinal);
    }
}
