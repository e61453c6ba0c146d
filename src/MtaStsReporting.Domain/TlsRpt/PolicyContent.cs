namespace MtaStsReporting.Domain.TlsRpt;

/// <summary>
/// The identity and mode of a policy as RFC 8460 reports carry it (type, policy-string lines,
/// mx-host patterns), shared by both directions: a policy our relays applied and the same
/// policy a reporter saw have one key.
/// </summary>
public static class PolicyContent
{
    /// <summary>The content key of a policy.</summary>
    public static string Key(string policyType, IEnumerable<string> policyStrings, IEnumerable<string> mxHosts) =>
        ContentKey.Of([policyType], policyStrings, mxHosts);

    /// <summary>The <c>mode</c> an sts policy's lines state (RFC 8461 §3.2), or null.</summary>
    public static string? Mode(IEnumerable<string> policyStrings)
    {
        foreach (var line in policyStrings)
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line.AsSpan(0, colon).Trim().Equals("mode", StringComparison.OrdinalIgnoreCase))
            {
                return line[(colon + 1)..].Trim().ToLowerInvariant();
            }
        }

        return null;
    }
}
