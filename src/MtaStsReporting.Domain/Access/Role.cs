namespace MtaStsReporting.Domain.Access;

/// <summary>Who may do what: relays write outcomes, readers query, admins do everything.</summary>
public enum Role
{
    /// <summary>Writes relay outcomes only.</summary>
    Relay = 1,

    /// <summary>Reads: queries and readiness.</summary>
    Reader = 2,

    /// <summary>Everything, including imports and key management.</summary>
    Admin = 3,
}
