namespace MtaStsReporting.Domain.TlsRpt;

/// <summary>The <c>policy-type</c> of an RFC 8460 report policy (§4.4).</summary>
public enum PolicyType
{
    /// <summary>An MTA-STS policy applied.</summary>
    Sts,

    /// <summary>A DANE TLSA policy applied.</summary>
    Tlsa,

    /// <summary>Neither policy was found.</summary>
    NoPolicyFound,
}

/// <summary>Wire names of <see cref="PolicyType"/>.</summary>
public static class PolicyTypeNames
{
    /// <summary>The RFC 8460 spelling.</summary>
    public static string ToRfcName(this PolicyType type) => type switch
    {
        PolicyType.Sts => "sts",
        PolicyType.Tlsa => "tlsa",
        PolicyType.NoPolicyFound => "no-policy-found",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>Reads an RFC 8460 policy type name.</summary>
    public static bool TryParse(string? text, out PolicyType type)
    {
        switch (text)
        {
            case "sts": type = PolicyType.Sts; return true;
            case "tlsa": type = PolicyType.Tlsa; return true;
            case "no-policy-found": type = PolicyType.NoPolicyFound; return true;
            default: type = default; return false;
        }
    }
}
