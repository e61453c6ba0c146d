using MtaStsReporting.Domain.Names;
using MtaStsReporting.Persistence.Outbound;

namespace MtaStsReporting.Daemon.Outbound;

/// <summary>
/// The operator's switches of the sending side, kept in the store so that every instance obeys
/// the same: pause sending, send every report to a test address instead of its <c>rua</c>
/// (what operators do while they learn to trust it), and domains that get no report.
/// </summary>
public sealed record OutboundSwitches(bool Paused, Uri? TestAddress, IReadOnlySet<string> ExcludedDomains)
{
    /// <summary>Why an excluded domain gets no report, and its pending deliveries are given up.</summary>
    public const string ExcludedReason = "the domain is excluded from outbound reports";

    private const string PausedName = "paused";
    private const string TestAddressName = "test-address";
    private const string ExcludedName = "excluded-domains";

    /// <summary>Nothing set: sending, to the real destinations, for every domain.</summary>
    public static OutboundSwitches None { get; } = new(false, null, new HashSet<string>(StringComparer.Ordinal));

    /// <summary>The switches as stored.</summary>
    public static async Task<OutboundSwitches> ReadAsync(OutboundReportStore store, CancellationToken cancellationToken)
    {
        var values = await store.SettingsAsync(cancellationToken);
        return new OutboundSwitches(
            values.GetValueOrDefault(PausedName) == "true",
            values.GetValueOrDefault(TestAddressName) is { Length: > 0 } test ? new Uri(test) : null,
            new HashSet<string>((values.GetValueOrDefault(ExcludedName) ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal));
    }

    /// <summary>
    /// Stores the switches given (null leaves one as it is). A test address must be a mailto: or
    /// https: URI; excluded domains must be domain names. Throws <see cref="ArgumentException"/>
    /// naming the bad value, and then nothing is changed.
    /// </summary>
    public static async Task WriteAsync(OutboundReportStore store, bool? paused, string? testAddress, IReadOnlyList<string>? excluded, CancellationToken cancellationToken)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (paused is { } p)
        {
            values[PausedName] = p ? "true" : null;
        }

        if (testAddress is not null)
        {
            if (testAddress.Length > 0 && ParseDestination(testAddress) is null)
            {
                throw new ArgumentException($"test_address: '{testAddress}' is not a mailto: address or an https: URL");
            }

            values[TestAddressName] = testAddress.Length > 0 ? testAddress : null;
        }

        if (excluded is not null)
        {
            var names = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var text in excluded)
            {
                if (!DomainName.TryParse(text, out var name, out var error))
                {
                    throw new ArgumentException($"excluded_domains: '{text}' is not a domain name ({error})");
                }

                names.Add(name.Value);
            }

            values[ExcludedName] = names.Count > 0 ? string.Join('\n', names) : null;
        }

        await store.SetSettingsAsync(values, cancellationToken);
    }

    /// <summary>A mailto: or https: URI, or null.</summary>
    public static Uri? ParseDestination(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeMailto && MailtoTransport.Recipients(uri).Count > 0)) ? uri : null;
}
