using System.Security.Cryptography.X509Certificates;
using Microsoft.Identity.Client;

namespace MtaStsReporting.Daemon.Ingestion.OAuth2;

/// <summary>
/// Tokens from the Microsoft identity platform by the client credentials grant (RFC 6749 §4.4),
/// through MSAL: an app registration's secret or certificate. MSAL keeps the token in its cache
/// and asks for a new one when less than five minutes of it are left.
/// </summary>
public sealed class MicrosoftTokenSource : AccessTokenSource
{
    private readonly IConfidentialClientApplication _app;
    private readonly string[] _scopes;

    /// <summary>Builds the MSAL application from the options (the secret or certificate is read now).</summary>
    public MicrosoftTokenSource(OAuth2Options options, string scope)
    {
        var authority = options.Authority.TrimEnd('/') + "/" + options.TenantId;
        Issuer = authority + "/oauth2/v2.0/token";
        _scopes = [scope];
        var builder = ConfidentialClientApplicationBuilder.Create(options.ClientId)
            // The authority is used as given (sovereign clouds, tests): no discovery call to the public cloud.
            .WithAuthority(authority, validateAuthority: false)
            .WithInstanceDiscovery(false)
            .WithHttpClientFactory(new HttpFactory(options));
        builder = options.CertificateFile is { } certificate
            ? builder.WithCertificate(X509Certificate2.CreateFromPemFile(certificate, options.CertificateKeyFile))
            : builder.WithClientSecret(File.ReadLines(options.ClientSecretFile!).FirstOrDefault()?.Trim() ?? string.Empty);
        _app = builder.Build();
    }

    /// <inheritdoc />
    public override string Issuer { get; }

    /// <inheritdoc />
    public override async Task<string> GetAsync(bool refresh, CancellationToken cancellationToken)
    {
        try
        {
            var result = await _app.AcquireTokenForClient(_scopes).WithForceRefresh(refresh).ExecuteAsync(cancellationToken);
            return result.AccessToken;
        }
        catch (MsalServiceException ex)
        {
            // AADSTS codes say what to fix (a wrong secret, no admin consent, an unknown tenant).
            var status = ex.StatusCode > 0 ? $"HTTP {ex.StatusCode}, " : string.Empty;
            throw new TokenUnavailableException($"{Issuer} refused the token request ({status}{ex.ErrorCode}): {Description(ex)}", refused: ex.StatusCode is >= 400 and < 500, ex);
        }
        catch (Exception ex) when (ex is MsalClientException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new TokenUnavailableException($"{Issuer} could not be asked for a token: {Hosting.ExceptionText.Innermost(ex)}", refused: false, ex);
        }
    }

    /// <summary>The issuer's own words (error_description, whose first line carries the AADSTS code), else MSAL's.</summary>
    private static string Description(MsalServiceException ex)
    {
        try
        {
            using var body = System.Text.Json.JsonDocument.Parse(ex.ResponseBody ?? string.Empty);
            if (body.RootElement.TryGetProperty("error_description", out var description) && description.GetString() is { Length: > 0 } text)
            {
                return FirstLine(text);
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }

        return FirstLine(ex.Message);
    }

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();

    private sealed class HttpFactory(OAuth2Options options) : IMsalHttpClientFactory
    {
        private readonly HttpClient _client = Http(options);

        public HttpClient GetHttpClient() => _client;
    }
}
