namespace MtaStsReporting.Domain.MtaSts;

/// <summary>The <c>mode</c> of an MTA-STS policy (RFC 8461 §3.2).</summary>
public enum StsPolicyMode
{
    /// <summary>Senders must not deliver to MX hosts that fail validation.</summary>
    Enforce,

    /// <summary>Senders deliver anyway and report failures through TLS-RPT.</summary>
    Testing,

    /// <summary>No active policy; used to withdraw one.</summary>
    None,
}

/// <summary>Wire names of <see cref="StsPolicyMode"/>.</summary>
public static class StsPolicyModeNames
{
    /// <summary>The RFC 8461 spelling of a mode.</summary>
    public static string ToRfcName(this StsPolicyMode mode) => mode switch
    {
        StsPolicyMode.Enforce => "enforce",
        StsPolicyMode.Testing => "testing",
        StsPolicyMode.None => "none",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
    };

    /// <summary>Reads a mode as RFC 8461 spells it (case-sensitive, as the ABNF is).</summary>
    public static bool TryParse(string? text, out StsPolicyMode mode)
    {
        switch (text)
        {
            case "enforce": mode = StsPolicyMode.Enforce; return true;
            case "testing": mode = StsPolicyMode.Testing; return true;
            case "none": mode = StsPolicyMode.None; return true;
            default: mode = default; return false;
        }
    }
}
