using Microsoft.Kiota.Abstractions.Authentication;
using MtaStsReporting.Daemon.Ingestion.OAuth2;

namespace MtaStsReporting.Daemon.Ingestion.Graph;

/// <summary>
/// Hands the Graph client a bearer token from the mailbox's <see cref="AccessTokenSource"/>, for
/// Graph's own host only; after Graph refused a token (401) the next one is asked past the cache.
/// </summary>
public sealed class GraphTokenProvider(AccessTokenSource tokens, string host) : IAccessTokenProvider
{
    /// <summary>Set when Graph answered 401: the next token is a new one.</summary>
    public bool Refused { get; set; }

    /// <inheritdoc />
    public AllowedHostsValidator AllowedHostsValidator { get; } = new([host]);

    /// <inheritdoc />
    public async Task<string> GetAuthorizationTokenAsync(Uri uri, Dictionary<string, object>? additionalAuthenticationContext = null, CancellationToken cancellationToken = default)
    {
        var token = await tokens.GetAsync(Refused, cancellationToken);
        Refused = false;
        return token;
    }
}
