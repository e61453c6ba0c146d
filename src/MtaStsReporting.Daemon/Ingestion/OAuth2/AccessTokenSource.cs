namespace MtaStsReporting.Daemon.Ingestion.OAuth2;

/// <summary>
/// A mailbox's OAuth2 access tokens: cached, and renewed before they expire by the provider's
/// own library (MSAL, Google.Apis.Auth). After the mail server refused a token, the next one is
/// asked of the issuer past the cache.
/// </summary>
public abstract class AccessTokenSource
{
    /// <summary>The scope for IMAP at the provider, when none is set.</summary>
    public static string ImapScope(OAuth2Provider provider) =>
        provider == OAuth2Provider.Google ? "https://mail.google.com/" : "https://outlook.office365.com/.default";

    /// <summary>Who issues the tokens, for messages: the token endpoint.</summary>
    public abstract string Issuer { get; }

    /// <summary>A valid token; a new one, past the cache, when <paramref name="refresh"/>. Throws <see cref="TokenUnavailableException"/>.</summary>
    public abstract Task<string> GetAsync(bool refresh, CancellationToken cancellationToken);

    /// <summary>The source the options name, acting for <paramref name="user"/> where the provider needs it (Google's delegation).</summary>
    public static AccessTokenSource Create(OAuth2Options options, string user, string defaultScope) => options.Provider switch
    {
        OAuth2Provider.Google => new GoogleTokenSource(options, user, options.Scope ?? defaultScope),
        _ => new MicrosoftTokenSource(options, options.Scope ?? defaultScope),
    };

    /// <summary>An HTTP client for the token endpoint: the system's trust, or the CAs of <see cref="OAuth2Options.TrustedCaFile"/>.</summary>
    internal static HttpClient Http(OAuth2Options options) =>
        new(Hosting.ClientChannels.Handler(options.TrustedCaFile)) { Timeout = TimeSpan.FromSeconds(30) };
}

/// <summary>No token could be had: the issuer refused (a wrong secret, a missing consent), or could not be reached.</summary>
public sealed class TokenUnavailableException(string message, bool refused, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The issuer answered with a refusal: asking again at once would be refused again.</summary>
    public bool Refused { get; } = refused;
}
