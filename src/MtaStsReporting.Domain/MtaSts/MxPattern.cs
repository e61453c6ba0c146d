using MtaStsReporting.Domain.Names;

namespace MtaStsReporting.Domain.MtaSts;

/// <summary>
/// An <c>mx</c> value of an MTA-STS policy: an exact host name or <c>*.</c> + suffix, where the
/// wildcard stands for exactly one leftmost label (RFC 8461 §3.2, §4.1).
/// </summary>
public readonly record struct MxPattern
{
    private MxPattern(string value) => Value = value;

    /// <summary>The normalised pattern (lower case A-labels, no trailing dot).</summary>
    public string Value { get; }

    /// <summary>True for a <c>*.suffix</c> pattern.</summary>
    public bool IsWildcard => Value.StartsWith("*.", StringComparison.Ordinal);

    /// <inheritdoc />
    public override string ToString() => Value;

    /// <summary>Normalises a pattern or says why it is not one.</summary>
    public static bool TryParse(string? input, out MxPattern pattern, out string error)
    {
        pattern = default;
        var text = input?.Trim() ?? string.Empty;
        var wildcard = text.StartsWith("*.", StringComparison.Ordinal);
        if (!DomainName.TryParse(wildcard ? text[2..] : text, out var name, out error))
        {
            return false;
        }

        pattern = new MxPattern(wildcard ? "*." + name.Value : name.Value);
        return true;
    }

    /// <summary>
    /// Whether <paramref name="host"/> is covered: exact match, or the wildcard replaces
    /// exactly one label (<c>*.example.com</c> matches <c>mx1.example.com</c>, not
    /// <c>a.b.example.com</c> nor <c>example.com</c>). RFC 8461 §4.1.
    /// </summary>
    public bool Matches(DomainName host)
    {
        if (!IsWildcard)
        {
            return string.Equals(Value, host.Value, StringComparison.Ordinal);
        }

        var suffix = Value.AsSpan(1); // ".example.com"
        var h = host.Value.AsSpan();
        if (!h.EndsWith(suffix, StringComparison.Ordinal))
        {
            return false;
        }

        var firstLabel = h[..^suffix.Length];
        return firstLabel.Length > 0 && !firstLabel.Contains('.');
    }
}
