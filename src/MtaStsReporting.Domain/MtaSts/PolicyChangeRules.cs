using MtaStsReporting.Domain.Readiness;

namespace MtaStsReporting.Domain.MtaSts;

/// <summary>Why a policy change was refused: a code for tooling, and a sentence for people.</summary>
/// <param name="Code"><c>mx-not-covered</c>, <c>mx-unknown</c>, <c>enforce-not-ready</c>, <c>roll-back-due</c>.</param>
/// <param name="Message">What would break, and what to do instead.</param>
public sealed record PolicyRefusal(string Code, string Message);

/// <summary>
/// The changes to one of our own policies that would break delivery, and so are refused unless
/// the admin forces them (and the forcing is recorded). Pure: the same policies, MX records and
/// verdict give the same refusals.
/// </summary>
public static class PolicyChangeRules
{
    /// <summary>
    /// The refusals for replacing <paramref name="current"/> (null: no policy yet) with
    /// <paramref name="proposed"/>, given the domain's MX hosts in DNS now (null when they could
    /// not be read; <paramref name="mxError"/> says why) and the readiness verdict (null when not
    /// asked for: it is only needed for a policy in enforce).
    /// </summary>
    public static IReadOnlyList<PolicyRefusal> Check(StsPolicy? current, StsPolicy proposed, IReadOnlyList<string>? liveMx, string? mxError, Verdict? verdict)
    {
        ArgumentNullException.ThrowIfNull(proposed);
        var refusals = new List<PolicyRefusal>();

        // RFC 8461 §4.1 and §5: in enforce a sender delivers only to MX hosts that an mx line
        // matches; in testing it only reports. Mode none asks senders to apply nothing (§5).
        if (proposed.Mode != StsPolicyMode.None)
        {
            if (liveMx is null)
            {
                refusals.Add(new PolicyRefusal("mx-unknown",
                    $"The domain's MX records could not be read ({mxError ?? "no answer"}), so whether the mx lines cover them is unknown."));
            }
            else
            {
                var uncovered = liveMx.Where(h => !proposed.Covers(h)).ToList();
                if (uncovered.Count > 0)
                {
                    refusals.Add(new PolicyRefusal("mx-not-covered",
                        $"MX hosts in DNS that no mx line matches: {string.Join(", ", uncovered)}; senders applying the policy in enforce would not deliver to them (RFC 8461 §4.1)."));
                }
            }
        }

        if (proposed.Mode == StsPolicyMode.Enforce)
        {
            if (current?.Mode != StsPolicyMode.Enforce && verdict != Verdict.Ready)
            {
                refusals.Add(new PolicyRefusal("enforce-not-ready",
                    $"Readiness is {Name(verdict)}, not READY: in enforce, senders refuse to deliver over the failures that testing only reports (RFC 8461 §5)."));
            }
            else if (current?.Mode == StsPolicyMode.Enforce && verdict != Verdict.Keep)
            {
                refusals.Add(new PolicyRefusal("roll-back-due",
                    $"Readiness is {Name(verdict)} for the policy in enforce: mail may be refused now; go back to testing rather than change the policy in enforce."));
            }
        }

        return refusals;
    }

    private static string Name(Verdict? verdict) => verdict?.ToName() ?? "unknown";
}
