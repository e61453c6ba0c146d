namespace MtaStsReporting.Domain.TlsRpt.Outbound;

/// <summary>What became of one attempt to deliver a report to one destination.</summary>
public enum DeliveryOutcome
{
    /// <summary>The destination took the report: SMTP 2xx after the data, HTTP 2xx.</summary>
    Delivered,

    /// <summary>Worth trying again later: SMTP 4xx, HTTP 5xx or 429, a timeout, a refused connection.</summary>
    Temporary,

    /// <summary>Will not work as it is: SMTP 5xx, HTTP 4xx. The destination gets no more tries for that report.</summary>
    Permanent,
}

/// <summary>An attempt's outcome and the answer it got, as the server put it (or why there was none).</summary>
public sealed record DeliveryAnswer(DeliveryOutcome Outcome, string Text)
{
    /// <summary>An SMTP reply (RFC 5321 §4.2.1): 2yz delivered, 4yz temporary, anything else permanent.</summary>
    public static DeliveryAnswer FromSmtp(int code, string text) =>
        new((code / 100) switch { 2 => DeliveryOutcome.Delivered, 4 => DeliveryOutcome.Temporary, _ => DeliveryOutcome.Permanent }, $"{code} {text}".Trim());

    /// <summary>
    /// An HTTP status (RFC 8460 §5.4: "any 2xx"): 2xx delivered; 5xx, 408 and 429 temporary (the
    /// server is busy or broken for now); any other 4xx, and 1xx/3xx (redirects are not followed),
    /// permanent.
    /// </summary>
    public static DeliveryAnswer FromHttp(int status, string reason) =>
        new(status switch
        {
            >= 200 and < 300 => DeliveryOutcome.Delivered,
            >= 500 or 408 or 429 => DeliveryOutcome.Temporary,
            _ => DeliveryOutcome.Permanent,
        }, $"HTTP {status} {reason}".Trim());

    /// <summary>No answer: the server could not be reached or did not answer in time.</summary>
    public static DeliveryAnswer Unreachable(string why) => new(DeliveryOutcome.Temporary, why);
}
