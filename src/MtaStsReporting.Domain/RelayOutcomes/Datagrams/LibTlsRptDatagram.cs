using MtaStsReporting.Domain.Names;

namespace MtaStsReporting.Domain.RelayOutcomes.Datagrams;

/// <summary>One policy object of a datagram: one session, its result and its failure details.</summary>
public sealed record DatagramSession(AppliedPolicy Policy, bool Failed, IReadOnlyList<FailureDetail> Details);

/// <summary>
/// What one libtlsrpt datagram says, checked: the recipient domain (<c>d</c>), the TLSRPT record
/// the MTA saw for it (<c>pr</c>), and one session per policy object.
/// </summary>
public sealed record LibTlsRptDatagram(DomainName Domain, string? TlsRptRecord, IReadOnlyList<DatagramSession> Sessions)
{
    /// <summary>
    /// Counts the datagram into <paramref name="delta"/> on the UTC day it was received, as the
    /// reference collector does: each policy object one session, under the recipient domain.
    /// </summary>
    public void FoldInto(DailyOutcomeDelta delta, DateOnly day)
    {
        ArgumentNullException.ThrowIfNull(delta);
        foreach (var session in Sessions)
        {
            delta.AddSession(Domain, day, session.Policy, session.Failed, session.Details);
        }

        if (TlsRptRecord is not null)
        {
            delta.AddTlsRptRecord(day, Domain, TlsRptRecord);
        }
    }
}
