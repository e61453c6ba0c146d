namespace MtaStsReporting.Domain.TlsRpt.Outbound;

/// <summary>
/// Where the delivery of one report to one destination stands. A delivery moves
/// pending → sending → delivered, or back to pending (a temporary failure, retried), or ends as
/// failed (a permanent answer), given-up (retries ran out, or the destination is suppressed),
/// or interrupted (the daemon stopped during the attempt: it may or may not have gone out, so it
/// is not sent again by itself; an admin may resend it).
/// </summary>
public static class DeliveryStates
{
    /// <summary>Waiting for its next attempt.</summary>
    public const string Pending = "pending";

    /// <summary>An attempt is running.</summary>
    public const string Sending = "sending";

    /// <summary>The destination took it.</summary>
    public const string Delivered = "delivered";

    /// <summary>The destination refused it for good.</summary>
    public const string Failed = "failed";

    /// <summary>Retries ran out, or the destination is suppressed.</summary>
    public const string GivenUp = "given-up";

    /// <summary>The daemon stopped during the attempt; not sent again unless an admin asks.</summary>
    public const string Interrupted = "interrupted";

    /// <summary>Every state, in the order a delivery goes through them.</summary>
    public static readonly IReadOnlyList<string> All = [Pending, Sending, Delivered, Failed, GivenUp, Interrupted];
}
