using System.Net;

namespace MtaStsReporting.Domain.RelayOutcomes;

/// <summary>
/// What one relay outcome may carry, whichever way it arrives (the gRPC relay API or a libtlsrpt
/// datagram): limits generous for real relays and small enough that no single input can make
/// the store grow without bound, and the field rules that make equal details count together.
/// </summary>
public static class OutcomeFields
{
    /// <summary>Most <c>policy-string</c> lines of one policy.</summary>
    public const int MaxPolicyStrings = 1_000;

    /// <summary>Longest <c>policy-string</c> line.</summary>
    public const int MaxPolicyStringLength = 1_024;

    /// <summary>Most <c>mx-host</c> patterns of one policy.</summary>
    public const int MaxMxHosts = 100;

    /// <summary>Longest <c>receiving-mx-helo</c>.</summary>
    public const int MaxHeloLength = 255;

    /// <summary>Longest <c>failure-reason-code</c>.</summary>
    public const int MaxReasonLength = 1_024;

    /// <summary>Longest <c>additional-information</c>.</summary>
    public const int MaxAdditionalInformationLength = 2_048;

    /// <summary>Longest TLSRPT record text a relay may pass on (RFC 8460 §3; several URIs fit easily).</summary>
    public const int MaxTlsRptRecordLength = 2_048;

    /// <summary>
    /// Checks free text: bounded, and no control characters (they break logs and reports).
    /// Returns the problem, or null.
    /// </summary>
    public static string? CheckText(string text, int maxLength)
    {
        if (text.Length > maxLength)
        {
            return $"is longer than {maxLength} characters";
        }

        foreach (var c in text)
        {
            if (char.IsControl(c) && c != '\t')
            {
                return $"contains the control character U+{(int)c:X4}";
            }
        }

        return null;
    }

    /// <summary>
    /// Reads an IP address in one spelling per address, so that equal details count together
    /// (an IPv4-mapped IPv6 address is its IPv4 address). Returns false for anything else.
    /// </summary>
    public static bool TryNormaliseIp(string text, out string normalised)
    {
        normalised = string.Empty;

        // IPAddress.TryParse also takes legacy IPv4 forms ("1.2.3" is 1.2.0.3, "010.0.0.1" may be
        // octal); only the dotted quad in its plain spelling is an address here.
        if (text.Length is 0 or > 45 || text.Contains('%') || !IPAddress.TryParse(text, out var address)
            || (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && address.ToString() != text))
        {
            return false;
        }

        normalised = (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
        return true;
    }
}
