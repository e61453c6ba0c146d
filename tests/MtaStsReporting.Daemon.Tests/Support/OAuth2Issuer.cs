using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace MtaStsReporting.Daemon.Tests.Support;

/// <summary>
/// The test's own OAuth2 authorisation server on loopback, speaking the two grants the daemon
/// uses, and the introspection endpoint (RFC 7662) Dovecot's oauth2 passdb asks:
/// <list type="bullet">
/// <item>the Microsoft identity platform's token endpoint (<c>https://localhost:PORT/{tenant}/oauth2/v2.0/token</c>),
/// client credentials with a secret (RFC 6749 §4.4);</item>
/// <item>Google's (<c>https://localhost:PORT/google/token</c>), a service account's RS256 JWT
/// (RFC 7523) whose signature, issuer, subject, scope and audience are checked as Google does;</item>
/// <item><c>http://127.0.0.1:PORT/introspect</c>: active for a token issued and not revoked.</item>
/// </list>
/// </summary>
public sealed class OAuth2Issuer : IAsyncDisposable
{
    public const string Tenant = "tenant-1";
    public const string ClientId = "11111111-2222-3333-4444-555555555555";
    public const string ServiceAccount = "tlsrpt-reader@project.iam.gserviceaccount.com";

    private readonly WebApplication _app;
    private readonly RSA _serviceAccountKey = RSA.Create(2048);
    private readonly ConcurrentDictionary<string, string> _issued = new();
    private readonly ConcurrentDictionary<string, bool> _revoked = new();
    private int _count;

    private OAuth2Issuer(WebApplication app, int httpsPort, int httpPort, string user, string secret)
    {
        _app = app;
        HttpsPort = httpsPort;
        HttpPort = httpPort;
        User = user;
        ClientSecret = secret;
    }

    public int HttpsPort { get; }

    public int HttpPort { get; }

    /// <summary>The mailbox user every token is for.</summary>
    public string User { get; }

    public string ClientSecret { get; }

    /// <summary>Lifetime of the tokens issued from now on (expires_in).</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The Microsoft identity platform's address for the daemon's <c>OAuth2:Authority</c>.</summary>
    public string Authority => $"https://localhost:{HttpsPort}/";

    public string GoogleTokenEndpoint => $"https://localhost:{HttpsPort}/google/token";

    /// <summary>For Dovecot's <c>introspection_url</c>.</summary>
    public string IntrospectionUrl => $"http://127.0.0.1:{HttpPort}/introspect";

    /// <summary>Token requests answered with a token, by grant ("microsoft", "google").</summary>
    public ConcurrentQueue<string> Issued { get; } = new();

    /// <summary>Token requests refused, as "error: description".</summary>
    public ConcurrentQueue<string> Refused { get; } = new();

    /// <summary>Tokens Dovecot asked about, in order.</summary>
    public ConcurrentQueue<(string Token, bool Active)> Introspected { get; } = new();

    public static async Task<OAuth2Issuer> StartAsync(X509Certificate2 localhostCertificate, string user)
    {
        var (httpsPort, httpPort) = (Loopback.FreePort(), Loopback.FreePort());
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, httpsPort, l => l.UseHttps(localhostCertificate));
            k.Listen(IPAddress.Loopback, httpPort);
        });
        var app = builder.Build();
        var issuer = new OAuth2Issuer(app, httpsPort, httpPort, user, Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)));
        app.MapPost("/{tenant}/oauth2/v2.0/token", (string tenant, HttpContext context) => issuer.Microsoft(tenant, context));
        app.MapPost("/google/token", (Func<HttpContext, Task<IResult>>)issuer.Google);
        app.MapPost("/introspect", (Func<HttpContext, Task<IResult>>)issuer.Introspect);
        await app.StartAsync();
        return issuer;
    }

    /// <summary>The service account's JSON key, as the Google Cloud console gives it, with this server as token_uri.</summary>
    public string WriteServiceAccountKey(string directory)
    {
        var path = Path.Combine(directory, "service-account.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["type"] = "service_account",
            ["project_id"] = "project",
            ["private_key_id"] = "0123456789abcdef",
            ["private_key"] = _serviceAccountKey.ExportPkcs8PrivateKeyPem(),
            ["client_email"] = ServiceAccount,
            ["client_id"] = "123456789012345678901",
            ["token_uri"] = GoogleTokenEndpoint,
        }));
        return path;
    }

    /// <summary>Whether a token was issued here for <paramref name="grant"/> and is still active.</summary>
    public bool IsActive(string token, string grant) => _issued.TryGetValue(token, out var issuedFor) && issuedFor == grant && !_revoked.ContainsKey(token);

    /// <summary>Makes every token issued so far inactive for the mail server (expired, or revoked).</summary>
    public void RevokeAll()
    {
        foreach (var token in _issued.Keys)
        {
            _revoked[token] = true;
        }
    }

    private async Task<IResult> Microsoft(string tenant, HttpContext context)
    {
        var form = await context.Request.ReadFormAsync();
        if (tenant != Tenant || form["grant_type"] != "client_credentials" || form["client_id"] != ClientId)
        {
            return Refuse("unauthorized_client", "AADSTS700016: Application not found in the directory.");
        }

        if (form.ContainsKey("client_assertion"))
        {
            // A certificate credential: a JWT signed with the certificate's key (RFC 7523 §2.2).
            if (form["client_assertion_type"] != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" || ClientCertificate is null
                || !VerifyAssertion(form["client_assertion"].ToString(), $"https://localhost:{HttpsPort}/{tenant}/oauth2/v2.0/token"))
            {
                return Refuse("invalid_client", "AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application.");
            }
        }
        else if (form["client_secret"] != ClientSecret)
        {
            return Refuse("invalid_client", "AADSTS7000215: Invalid client secret provided.");
        }

        return form["scope"] == "https://outlook.office365.com/.default" ? Issue("microsoft")
            : form["scope"] == "https://graph.microsoft.com/.default" ? Issue("graph")
            : Refuse("invalid_scope", $"AADSTS70011: The provided value for scope {form["scope"]} is not valid.");
    }

    /// <summary>The certificate registered on the app (its public key checks client assertions); null: none.</summary>
    public X509Certificate2? ClientCertificate { get; set; }

    private bool VerifyAssertion(string assertion, string audience)
    {
        var parts = assertion.Split('.');
        if (parts.Length != 3)
        {
            return false;
        }

        using var header = JsonDocument.Parse(Base64Url(parts[0]));
        using var claims = JsonDocument.Parse(Base64Url(parts[1]));
        using var key = ClientCertificate!.GetRSAPublicKey()!;
        var padding = header.RootElement.GetProperty("alg").GetString() == "PS256" ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1;
        var c = claims.RootElement;
        return key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64Url(parts[2]), HashAlgorithmName.SHA256, padding)
            && c.GetProperty("iss").GetString() == ClientId && c.GetProperty("sub").GetString() == ClientId && c.GetProperty("aud").GetString() == audience;
    }

    private async Task<IResult> Google(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync();
        var parts = form["assertion"].ToString().Split('.');
        if (form["grant_type"] != "urn:ietf:params:oauth:grant-type:jwt-bearer" || parts.Length != 3)
        {
            return Refuse("invalid_grant", "Invalid JWT.");
        }

        var signed = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
        if (!_serviceAccountKey.VerifyData(signed, Base64Url(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
        {
            return Refuse("invalid_grant", "Invalid JWT Signature.");
        }

        using var claims = JsonDocument.Parse(Base64Url(parts[1]));
        var c = claims.RootElement;
        // Google's audience is its own token endpoint's address, wherever the JWT is sent.
        return c.GetProperty("iss").GetString() == ServiceAccount && c.GetProperty("aud").GetString() == "https://oauth2.googleapis.com/token"
            && c.GetProperty("scope").GetString() == "https://mail.google.com/"
            ? c.TryGetProperty("sub", out var sub) && sub.GetString() == User
                ? Issue("google")
                : Refuse("unauthorized_client", "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.")
            : Refuse("invalid_grant", "Invalid JWT claims.");
    }

    private async Task<IResult> Introspect(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync();
        var token = form["token"].ToString();
        var active = _issued.ContainsKey(token) && !_revoked.ContainsKey(token);
        Introspected.Enqueue((token, active));
        return Results.Json(active ? new Dictionary<string, object> { ["active"] = "true", ["username"] = User } : new Dictionary<string, object> { ["active"] = "false" });
    }

    private IResult Issue(string grant)
    {
        var token = $"{grant}-{Interlocked.Increment(ref _count)}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(8))}";
        _issued[token] = grant;
        Issued.Enqueue(grant);
        return Results.Json(new Dictionary<string, object>
        {
            ["token_type"] = "Bearer", ["expires_in"] = (int)TokenLifetime.TotalSeconds, ["access_token"] = token,
        });
    }

    private IResult Refuse(string error, string description)
    {
        Refused.Enqueue($"{error}: {description}");
        return Results.Json(new Dictionary<string, string> { ["error"] = error, ["error_description"] = description }, statusCode: 401);
    }

    private static byte[] Base64Url(string text) => Convert.FromBase64String(text.Replace('-', '+').Replace('_', '/').PadRight((text.Length + 3) / 4 * 4, '='));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _serviceAccountKey.Dispose();
    }
}
