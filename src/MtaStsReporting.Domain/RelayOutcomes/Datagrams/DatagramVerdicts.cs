namespace MtaStsReporting.Domain.RelayOutcomes.Datagrams;

/// <summary>Why a datagram was refused: nothing of it is counted.</summary>
public enum DatagramRefusal
{
    /// <summary>Not a JSON object (also a datagram cut short).</summary>
    NotJson,

    /// <summary><c>dpv</c> missing, or not the version "1" that libtlsrpt 0.5 writes.</summary>
    WrongVersion,

    /// <summary><c>d</c>, the recipient domain, missing or not a domain name.</summary>
    NoDomain,

    /// <summary><c>policies</c> missing or empty.</summary>
    NoPolicies,

    /// <summary>A <c>policy-type</c> other than 1 (tlsa), 2 (sts) or 9 (no-policy-found).</summary>
    UnknownPolicyType,

    /// <summary>A field of the wrong type or that breaks its rule (an address that is not one, a control character).</summary>
    BadField,

    /// <summary>A string or a list longer than any relay sends (<see cref="OutcomeFields"/>).</summary>
    OversizedString,

    /// <summary>Larger than the collector reads in one datagram (it arrived cut).</summary>
    TooLarge,
}

/// <summary>What was odd in a datagram that was still counted, as the reference collector counts it.</summary>
[Flags]
public enum DatagramNotes
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>Bytes that are not UTF-8 were read as U+FFFD.</summary>
    NotUtf8 = 1,

    /// <summary><c>t</c> differs from the number of failure details sent.</summary>
    CountMismatch = 2,

    /// <summary>A failure code 901 (the MTA did not finish the policy): the session counts, the detail does not.</summary>
    InternalFailureCode = 4,

    /// <summary>A failure code libtlsrpt does not define: the session counts, the detail does not.</summary>
    UnknownFailureCode = 8,
}

/// <summary>The names metrics and logs use for refusals and notes.</summary>
public static class DatagramVerdictNames
{
    /// <summary>All notes, one flag each.</summary>
    public static readonly IReadOnlyList<DatagramNotes> EachNote =
        [DatagramNotes.NotUtf8, DatagramNotes.CountMismatch, DatagramNotes.InternalFailureCode, DatagramNotes.UnknownFailureCode];

    /// <summary>The kebab-case name of a refusal.</summary>
    public static string Name(this DatagramRefusal refusal) => refusal switch
    {
        DatagramRefusal.NotJson => "not-json",
        DatagramRefusal.WrongVersion => "wrong-version",
        DatagramRefusal.NoDomain => "no-domain",
        DatagramRefusal.NoPolicies => "no-policies",
        DatagramRefusal.UnknownPolicyType => "unknown-policy-type",
        DatagramRefusal.BadField => "bad-field",
        DatagramRefusal.OversizedString => "oversized",
        DatagramRefusal.TooLarge => "too-large",
        _ => throw new ArgumentOutOfRangeException(nameof(refusal), refusal, null),
    };

    /// <summary>The kebab-case name of one note.</summary>
    public static string Name(this DatagramNotes note) => note switch
    {
        DatagramNotes.NotUtf8 => "not-utf8",
        DatagramNotes.CountMismatch => "count-mismatch",
        DatagramNotes.InternalFailureCode => "internal-failure-code",
        DatagramNotes.UnknownFailureCode => "unknown-failure-code",
        _ => throw new ArgumentOutOfRangeException(nameof(note), note, "one note at a time"),
    };
}

/// <summary>
/// One datagram read: either <see cref="Datagram"/> (counted, with <see cref="Notes"/>) or
/// <see cref="Refusal"/> with <see cref="Problem"/> naming the field and what is wrong.
/// </summary>
public readonly record struct DatagramReadResult(LibTlsRptDatagram? Datagram, DatagramRefusal? Refusal, DatagramNotes Notes, string? Problem)
{
    /// <summary>A refusal.</summary>
    public static DatagramReadResult Refused(DatagramRefusal refusal, string problem) => new(null, refusal, DatagramNotes.None, problem);
}
