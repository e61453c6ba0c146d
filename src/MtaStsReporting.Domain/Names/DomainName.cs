using System.Globalization;

namespace MtaStsReporting.Domain.Names;

/// <summary>
/// A DNS domain name in the one form the store keys on: lower case, no trailing dot,
/// internationalised labels as A-labels (RFC 5890). Two spellings of one domain
/// ("Example.COM.", "example.com") must land on the same aggregate row.
/// </summary>
public readonly record struct DomainName
{
    /// <summary>RFC 1035 §2.3.4: 253 octets in presentation form without the trailing dot.</summary>
    public const int MaxLength = 253;

    private const int MaxLabelLength = 63;

    private static readonly IdnMapping Idn = new() { AllowUnassigned = false, UseStd3AsciiRules = true };

    private DomainName(string value) => Value = value;

    /// <summary>The normalised name.</summary>
    public string Value { get; }

    /// <inheritdoc />
    public override string ToString() => Value;

    /// <summary>
    /// Normalises <paramref name="input"/> or says why it is not a usable domain name.
    /// A single label is refused: policy domains are registered names, never bare hosts.
    /// </summary>
    public static bool TryParse(string? input, out DomainName name, out string error)
    {
        name = default;
        if (string.IsNullOrWhiteSpace(input))
        {
            error = "must not be empty";
            return false;
        }

        var text = input.Trim();
        if (text.EndsWith('.'))
        {
            text = text[..^1];
        }

        // An A-label is never shorter than its U-label, so this check holds before conversion.
        if (text.Length > MaxLength)
        {
            error = $"is longer than {MaxLength} characters";
            return false;
        }

        string ascii;
        try
        {
            // Lower case first: IdnMapping encodes upper-case U-labels as different A-labels.
            // It applies STD3 rules (letters, digits, hyphen).
            ascii = Idn.GetAscii(text.ToLowerInvariant()).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            error = $"'{Quote.Shorten(input)}' is not a valid domain name";
            return false;
        }

        if (ascii.Length > MaxLength)
        {
            error = $"is longer than {MaxLength} characters";
            return false;
        }

        var labels = ascii.Split('.');
        if (labels.Length < 2)
        {
            error = $"'{Quote.Shorten(input)}' has a single label; a domain name is expected";
            return false;
        }

        foreach (var label in labels)
        {
            if (label.Length is 0 or > MaxLabelLength || label.StartsWith('-') || label.EndsWith('-'))
            {
                error = $"'{Quote.Shorten(input)}' is not a valid domain name";
                return false;
            }
        }

        name = new DomainName(ascii);
        error = string.Empty;
        return true;
    }

    /// <summary>Normalises or throws <see cref="FormatException"/>; for trusted input and tests.</summary>
    public static DomainName Parse(string input) =>
        TryParse(input, out var name, out var error) ? name : throw new FormatException($"Domain name {error}.");
}
