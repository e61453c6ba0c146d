using System.Text.Json;
using Google.Apis.Auth.OAuth2;
using Google.Apis.Auth.OAuth2.Responses;

namespace MtaStsReporting.Daemon.Ingestion.OAuth2;

/// <summary>
/// Tokens for a Google Workspace mailbox: the service account's JWT (RFC 7523), signed with its
/// key and naming the mailbox's user as subject (domain-wide delegation), exchanged at the token
/// endpoint through Google.Apis.Auth, which caches the token and renews it before it expires.
/// </summary>
public sealed class GoogleTokenSource : AccessTokenSource
{
    private readonly ServiceAccountCredential _credential;

    /// <summary>Reads the JSON key file (client_email, private_key, token_uri).</summary>
    public GoogleTokenSource(OAuth2Options options, string user, string scope)
    {
        using var key = JsonDocument.Parse(File.ReadAllText(options.ServiceAccountKeyFile!));
        var root = key.RootElement;
        Issuer = options.TokenEndpoint ?? (root.TryGetProperty("token_uri", out var uri) ? uri.GetString() : null) ?? GoogleAuthConsts.OidcTokenUrl;
        _credential = new ServiceAccountCredential(new ServiceAccountCredential.Initializer(root.GetProperty("client_email").GetString(), Issuer)
        {
            User = user,
            Scopes = [scope],
            HttpClientFactory = new HttpFactory(options),
        }.FromPrivateKey(root.GetProperty("private_key").GetString()));
    }

    /// <inheritdoc />
    public override string Issuer { get; }

    /// <inheritdoc />
    public override async Task<string> GetAsync(bool refresh, CancellationToken cancellationToken)
    {
        try
        {
            if (refresh)
            {
                await _credential.RequestAccessTokenAsync(cancellationToken);
                return _credential.Token.AccessToken;
            }

            return await _credential.GetAccessTokenForRequestAsync(cancellationToken: cancellationToken);
        }
        catch (TokenResponseException ex)
        {
            // unauthorized_client: the delegation of the scope to the client id is missing in the Admin console.
            var detail = ex.Error.ErrorDescription is { Length: > 0 } d ? $": {d}" : string.Empty;
            var status = ex.StatusCode is { } code ? $"HTTP {(int)code}, " : string.Empty;
            throw new TokenUnavailableException($"{Issuer} refused the token request ({status}{ex.Error.Error}){detail}", refused: true, ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new TokenUnavailableException($"{Issuer} could not be asked for a token: {Hosting.ExceptionText.Innermost(ex)}", refused: false, ex);
        }
    }

    private sealed class HttpFactory(OAuth2Options options) : Google.Apis.Http.HttpClientFactory
    {
        protected override HttpMessageHandler CreateHandler(Google.Apis.Http.CreateHttpClientArgs args) => Hosting.ClientChannels.Handler(options.TrustedCaFile);
    }
}
