namespace MtaStsReporting.Domain;

/// <summary>
/// Input quoted in an error message, bounded: hostile input must not make a message (and the log
/// line or stored refusal that holds it) large.
/// </summary>
public static class Quote
{
    /// <summary>At most <paramref name="max"/> characters of <paramref name="text"/>, with "…" where it was cut.</summary>
    public static string Shorten(string text, int max = 64) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max), "…");
}
