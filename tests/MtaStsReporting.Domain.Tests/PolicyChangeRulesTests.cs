using MtaStsReporting.Domain.MtaSts;
using MtaStsReporting.Domain.Readiness;

namespace MtaStsReporting.Domain.Tests;

/// <summary>The changes to our own policy that would break delivery, and the new ids that go with a change.</summary>
public class PolicyChangeRulesTests
{
    private static StsPolicy Policy(string mode, params string[] mx) =>
        StsPolicy.Parse(string.Join('\n', ["version: STSv1", "mode: " + mode, .. mx.Select(m => "mx: " + m), "max_age: 86400"])).Policy!;

    public static TheoryData<string?, string, string[], string[]?, Verdict?, string> Cases => new()
    {
        // current mode, proposed mode, proposed mx, live MX (null: unreadable), verdict, the refusal codes
        { "testing", "testing", ["mx1.a.example"], ["mx1.a.example"], null, "" },
        { "testing", "testing", ["*.a.example"], ["mx1.a.example", "MX2.A.EXAMPLE."], null, "" },
        // A host needs one matching line, not all of them.
        { "testing", "testing", ["mx1.a.example", "mx2.a.example"], ["mx1.a.example", "mx2.a.example"], null, "" },
        { "testing", "testing", ["mx1.a.example"], ["mx1.a.example", "mx2.a.example"], null, "mx-not-covered" },
        // A wildcard stands for one label only (RFC 8461 §4.1).
        { "testing", "testing", ["*.a.example"], ["mx.eu.a.example"], null, "mx-not-covered" },
        { "testing", "testing", ["mx1.a.example"], null, null, "mx-unknown" },
        // No MX record: nothing to cover.
        { "testing", "testing", ["mx1.a.example"], [], null, "" },
        // Mode none applies nothing, so neither its mx lines nor the MX records matter.
        { "enforce", "none", [], null, null, "" },
        { "testing", "enforce", ["mx1.a.example"], ["mx1.a.example"], Verdict.Ready, "" },
        { null, "enforce", ["mx1.a.example"], ["mx1.a.example"], Verdict.Ready, "" },
        { "testing", "enforce", ["mx1.a.example"], ["mx1.a.example"], Verdict.NotReady, "enforce-not-ready" },
        { "testing", "enforce", ["mx1.a.example"], ["mx1.a.example"], Verdict.InsufficientData, "enforce-not-ready" },
        { "testing", "enforce", ["mx1.a.example"], ["mx1.a.example"], null, "enforce-not-ready" },
        { null, "enforce", ["mx1.a.example"], ["mx1.a.example"], null, "enforce-not-ready" },
        { "none", "enforce", ["mx1.a.example"], ["mx1.a.example"], Verdict.Keep, "enforce-not-ready" },
        { "enforce", "enforce", ["mx1.a.example"], ["mx1.a.example"], Verdict.Keep, "" },
        { "enforce", "enforce", ["mx1.a.example"], ["mx1.a.example"], Verdict.RollBack, "roll-back-due" },
        { "enforce", "enforce", ["mx1.a.example"], ["mx1.a.example"], null, "roll-back-due" },
        // Back to testing is always allowed when the mx lines still cover the MX hosts.
        { "enforce", "testing", ["mx1.a.example"], ["mx1.a.example"], Verdict.RollBack, "" },
        { "enforce", "enforce", ["mx1.a.example"], ["mx2.a.example"], Verdict.Keep, "mx-not-covered" },
        { "testing", "enforce", ["mx1.a.example"], ["mx2.a.example"], Verdict.NotReady, "mx-not-covered,enforce-not-ready" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Refuses_only_the_changes_that_would_break_delivery(string? current, string proposed, string[] mx, string[]? liveMx, Verdict? verdict, string codes)
    {
        var refusals = PolicyChangeRules.Check(current is null ? null : Policy(current, "mx1.a.example"), Policy(proposed, mx), liveMx, liveMx is null ? "SERVFAIL" : null, verdict);

        Assert.Equal(codes, string.Join(",", refusals.Select(r => r.Code)));
    }

    [Fact]
    public void A_refusal_names_the_mx_hosts_left_out_and_the_verdict()
    {
        var refusals = PolicyChangeRules.Check(Policy("testing", "mx1.a.example"), Policy("enforce", "mx1.a.example"),
            ["mx1.a.example", "mx2.a.example", "mx3.a.example"], null, Verdict.InsufficientData);

        Assert.Equal(
            ["MX hosts in DNS that no mx line matches: mx2.a.example, mx3.a.example; senders applying the policy in enforce would not deliver to them (RFC 8461 §4.1).",
             "Readiness is INSUFFICIENT_DATA, not READY: in enforce, senders refuse to deliver over the failures that testing only reports (RFC 8461 §5)."],
            refusals.Select(r => r.Message));
    }

    [Theory]
    [InlineData(null, "Readiness is unknown, not READY")]
    [InlineData(Verdict.NotReady, "Readiness is NOT_READY, not READY")]
    public void Enforce_without_a_ready_verdict_names_the_verdict(Verdict? verdict, string start) =>
        Assert.StartsWith(start, Assert.Single(PolicyChangeRules.Check(null, Policy("enforce", "mx1.a.example"), [], null, verdict)).Message, StringComparison.Ordinal);

    [Fact]
    public void A_change_in_enforce_while_mail_is_refused_says_to_go_back_to_testing() =>
        Assert.Equal("Readiness is ROLL_BACK for the policy in enforce: mail may be refused now; go back to testing rather than change the policy in enforce.",
            Assert.Single(PolicyChangeRules.Check(Policy("enforce", "mx1.a.example"), Policy("enforce", "mx1.a.example"), [], null, Verdict.RollBack)).Message);

    [Fact]
    public void An_mx_lookup_without_an_error_text_says_no_answer() =>
        Assert.Contains("(no answer)", Assert.Single(PolicyChangeRules.Check(null, Policy("testing", "mx1.a.example"), null, null, null)).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData(Verdict.Ready, "READY")]
    [InlineData(Verdict.NotReady, "NOT_READY")]
    [InlineData(Verdict.InsufficientData, "INSUFFICIENT_DATA")]
    [InlineData(Verdict.Keep, "KEEP")]
    [InlineData(Verdict.RollBack, "ROLL_BACK")]
    public void Verdicts_have_the_apis_names(Verdict verdict, string name) => Assert.Equal(name, verdict.ToName());

    [Fact]
    public void An_unreadable_mx_set_says_why()
    {
        var refusal = Assert.Single(PolicyChangeRules.Check(null, Policy("testing", "mx1.a.example"), null, "SERVFAIL from 127.0.0.1", null));

        Assert.Equal("The domain's MX records could not be read (SERVFAIL from 127.0.0.1), so whether the mx lines cover them is unknown.", refusal.Message);
    }

    [Theory]
    [InlineData("2026-11-29T12:00:00Z", null, "20261129120000")]
    [InlineData("2026-11-29T12:00:00Z", "20261101T000000", "20261129120000")]
    [InlineData("2026-11-29T12:00:00.999Z", "20261129115959", "20261129120000")]
    // Two changes within one second: a counter keeps their ids apart.
    [InlineData("2026-11-29T12:00:00Z", "20261129120000", "202611291200001")]
    [InlineData("2026-11-29T12:00:00Z", "202611291200001", "202611291200002")]
    [InlineData("2026-11-29T12:00:00Z", "202611291200009", "2026112912000010")]
    // A counter of 8 digits still counts on (23 characters, within the 32 allowed); one of 9 is not ours.
    [InlineData("2026-11-29T12:00:00Z", "2026112912000099999999", "20261129120000100000000")]
    [InlineData("2026-11-29T12:00:00Z", "20261129120000999999999", "202611291200001")]
    [InlineData("2026-11-29T12:00:00Z", "20261129120000abc", "202611291200001")]
    [InlineData("2026-11-29T12:00:00Z", "202611291200001a", "202611291200001")]
    [InlineData("2026-11-29T13:00:00+01:00", "x", "20261129120000")]
    public void A_new_id_differs_from_the_previous_one(string now, string? previous, string expected)
    {
        var next = StsRecord.Next(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture), previous);

        Assert.Equal(expected, next.Id);
        Assert.Equal(next, StsRecord.Parse([next.ToText()]).Record);
    }

    [Fact]
    public void The_record_is_written_as_rfc_8461_shows_it() =>
        Assert.Equal("v=STSv1; id=20261129120000", new StsRecord("20261129120000").ToText());
}
