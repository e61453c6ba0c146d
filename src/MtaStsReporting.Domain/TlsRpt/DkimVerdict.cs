namespace MtaStsReporting.Domain.TlsRpt;

/// <summary>A DKIM verdict (RFC 6376) on the mail that carried a report (RFC 8460 §3 asks for a signature).</summary>
/// <param name="Result"><c>pass</c>, <c>fail</c>, <c>temperror</c> (the key could not be looked up) or <c>none</c>.</param>
/// <param name="Domain">The signing domain (d=) the verdict is about.</param>
/// <param name="Detail">Why, for fail.</param>
public sealed record DkimVerdict(string Result, string? Domain, string? Detail)
{
    /// <summary>Not a mail, or a mail without a signature.</summary>
    public static readonly DkimVerdict None = new("none", null, null);
}
