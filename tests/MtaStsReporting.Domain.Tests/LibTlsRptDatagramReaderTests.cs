using System.Text;
using MtaStsReporting.Domain.Names;
using MtaStsReporting.Domain.RelayOutcomes;
using MtaStsReporting.Domain.RelayOutcomes.Datagrams;
using MtaStsReporting.Domain.TlsRpt;
using MtaStsReporting.Testing;

namespace MtaStsReporting.Domain.Tests;

public class LibTlsRptDatagramReaderTests
{
    private static readonly DateOnly Day = new(2026, 11, 29);
    private static readonly DomainName Example = DomainName.Parse("example.com");

    private static DatagramReadResult Read(byte[] bytes) => new LibTlsRptDatagramReader().Read(bytes);

    private static DatagramReadResult Read(string text) => Read(Encoding.UTF8.GetBytes(text));

    private static DailyOutcomeDelta Fold(DatagramReadResult result)
    {
        Assert.True(result.Datagram is not null, result.Problem);
        var delta = new DailyOutcomeDelta();
        result.Datagram.FoldInto(delta, Day);
        return delta;
    }

    [Fact]
    public void The_captured_datagram_is_one_failed_session_with_its_detail_and_record()
    {
        var result = Read(LibTlsRptDatagrams.Captured);

        Assert.Null(result.Refusal);
        Assert.Equal(DatagramNotes.None, result.Notes);
        var delta = Fold(result);
        var policy = Assert.Single(delta.Policies).Value;
        Assert.Equal(PolicyType.Sts, policy.Type);
        Assert.Equal(["version: STSv1", "mode: testing", "mx: *.example.com", "max_age: 86400"], policy.PolicyStrings);
        Assert.Equal(["*.example.com"], policy.MxHosts);
        var counts = delta.PolicyDays[new PolicyDayKey(Day, Example, policy.Key)];
        Assert.Equal((0L, 1L), (counts.Successes, counts.Failures));
        var detail = Assert.Single(delta.Failures).Value;
        Assert.Equal(1, detail.Count);
        var expected = new FailureDetail(ResultType.CertificateExpired, "192.0.2.1", "mx1.example.com", "mx1.example.com", "198.51.100.7", "cert \"expired\"", null);
        Assert.Equal(expected.Key, detail.Detail.Key);
        Assert.Equal(("mx1.example.com", "cert \"expired\"", (string?)null), (detail.Detail.ReceivingMxHelo, detail.Detail.FailureReasonCode, detail.Detail.AdditionalInformation));
        Assert.Equal("v=TLSRPTv1; rua=mailto:tlsrpt@example.com", delta.TlsRptRecords[new RecordDayKey(Day, Example)]);
        Assert.Equal(1, delta.SessionCount);
    }

    [Fact]
    public void Each_policy_object_is_one_session_under_the_recipient_domain_and_each_detail_counts_once()
    {
        var twoDetails = LibTlsRptDatagrams.Sts("example.com", true,
            new LibTlsRptFailure(202, "192.0.2.1", "mx1.example.com"), new LibTlsRptFailure(202, "192.0.2.1", "mx1.example.com"),
            new LibTlsRptFailure(201, "192.0.2.1", "mx2.example.com"));
        var success = LibTlsRptDatagrams.Sts("example.com");
        var bytes = LibTlsRptDatagrams.Write("example.com", null, twoDetails, success, success);

        var delta = Fold(Read(bytes));

        var counts = Assert.Single(delta.PolicyDays).Value;
        Assert.Equal((2L, 1L), (counts.Successes, counts.Failures));
        Assert.Equal(3, delta.SessionCount);
        Assert.Equal([(201, 1L), (202, 2L)], delta.Failures.Values
            .Select(f => (f.Detail.ResultType == ResultType.StartTlsNotSupported ? 201 : 202, f.Count)).Order());
        Assert.Empty(delta.TlsRptRecords);
    }

    [Theory]
    [InlineData(201, "starttls-not-supported")]
    [InlineData(202, "certificate-host-mismatch")]
    [InlineData(203, "certificate-not-trusted")]
    [InlineData(204, "certificate-expired")]
    [InlineData(205, "validation-failure")]
    [InlineData(301, "sts-policy-fetch-error")]
    [InlineData(302, "sts-policy-invalid")]
    [InlineData(303, "sts-webpki-invalid")]
    [InlineData(304, "tlsa-invalid")]
    [InlineData(305, "dnssec-invalid")]
    [InlineData(306, "dane-required")]
    public void Each_failure_code_is_counted_under_its_rfc_8460_result_type(int code, string resultType)
    {
        var delta = Fold(Read(LibTlsRptDatagrams.Write("example.com", null, LibTlsRptDatagrams.Sts("example.com", true, new LibTlsRptFailure(code)))));

        Assert.Equal(resultType, Assert.Single(delta.Failures).Value.Detail.ResultType.Name);
    }

    [Theory]
    [InlineData(901, DatagramNotes.InternalFailureCode)]
    [InlineData(200, DatagramNotes.UnknownFailureCode)]
    [InlineData(206, DatagramNotes.UnknownFailureCode)]
    [InlineData(300, DatagramNotes.UnknownFailureCode)]
    [InlineData(307, DatagramNotes.UnknownFailureCode)]
    [InlineData(900, DatagramNotes.UnknownFailureCode)]
    [InlineData(902, DatagramNotes.UnknownFailureCode)]
    public void A_code_without_a_result_type_keeps_the_failed_session_and_drops_only_the_detail(int code, DatagramNotes note)
    {
        var result = Read(LibTlsRptDatagrams.Write("example.com", null,
            LibTlsRptDatagrams.Sts("example.com", true, new LibTlsRptFailure(code), new LibTlsRptFailure(204))));

        Assert.Equal(note, result.Notes);
        var delta = Fold(result);
        Assert.Equal(1, Assert.Single(delta.PolicyDays).Value.Failures);
        Assert.Equal("certificate-expired", Assert.Single(delta.Failures).Value.Detail.ResultType.Name);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(2, 1)]
    [InlineData(1, 0)]
    public void A_t_that_disagrees_with_the_details_is_kept_and_noted(int t, int details)
    {
        var failures = Enumerable.Repeat(new LibTlsRptFailure(204), details).ToArray();
        var result = Read(LibTlsRptDatagrams.Write("example.com", null, LibTlsRptDatagrams.Sts("example.com", true, failures) with { T = t }));

        Assert.Equal(DatagramNotes.CountMismatch, result.Notes);
        Assert.Equal(1, Assert.Single(Fold(result).PolicyDays).Value.Failures);
    }

    [Fact]
    public void A_t_that_agrees_is_no_note()
    {
        var result = Read(LibTlsRptDatagrams.Write("example.com", null, LibTlsRptDatagrams.Sts("example.com", true, new LibTlsRptFailure(204)) with { T = 1 }));

        Assert.Equal(DatagramNotes.None, result.Notes);
    }

    [Fact]
    public void Bytes_that_are_not_utf8_are_read_as_replacement_characters_and_the_session_counts()
    {
        var bytes = LibTlsRptDatagrams.Write("example.com", null, LibTlsRptDatagrams.Sts("example.com", true, new LibTlsRptFailure(204, ReasonCode: "bad XX here")));
        var at = Encoding.ASCII.GetString(bytes).IndexOf("XX", StringComparison.Ordinal);
        bytes[at] = 0xC3;
        bytes[at + 1] = 0x28; // 0xC3 must be followed by a continuation byte

        var result = Read(bytes);

        Assert.Equal(DatagramNotes.NotUtf8, result.Notes);
        Assert.Equal("bad \uFFFD( here", Assert.Single(Fold(result).Failures).Value.Detail.FailureReasonCode);
    }

    [Fact]
    public void Tlsa_and_no_policy_found_policies_are_their_types()
    {
        var tlsa = new LibTlsRptPolicy(1, "mx.example.com", ["3 1 1 AB12"], null, null, false);
        var none = new LibTlsRptPolicy(9, null, null, null, null, false);

        var delta = Fold(Read(LibTlsRptDatagrams.Write("example.com", null, tlsa, none)));

        Assert.Equal([PolicyType.Tlsa, PolicyType.NoPolicyFound], delta.Policies.Values.Select(p => p.Type).Order());
        Assert.Equal([Example, Example], delta.PolicyDays.Keys.Select(k => k.PolicyDomain));
        Assert.Equal(2, delta.PolicyDays.Values.Sum(c => c.Successes));
    }

    [Fact]
    public void Equal_details_with_differently_spelled_addresses_count_together()
    {
        var delta = Fold(Read(LibTlsRptDatagrams.Write("example.com", null,
            LibTlsRptDatagrams.Sts("example.com", true, new LibTlsRptFailure(204, "::ffff:192.0.2.1"), new LibTlsRptFailure(204, "192.0.2.1")))));

        var detail = Assert.Single(delta.Failures).Value;
        Assert.Equal(("192.0.2.1", 2L), (detail.Detail.SendingMtaIp, detail.Count));
    }

    [Fact]
    public void Unknown_members_are_skipped_so_a_later_libtlsrpt_still_reports()
    {
        var result = Read("{\"dpv\": \"1\",\"x\":{\"y\":[1,2]},\"d\": \"example.com\",\"policies\":[{\"policy-type\":9,\"new\": \"z\",\"t\":0,\"f\":0}]}");

        Assert.Equal(1, Assert.Single(Fold(result).PolicyDays).Value.Successes);
    }

    public static TheoryData<string, DatagramRefusal, string> Refused => new()
    {
        { "", DatagramRefusal.NotJson, "not JSON" },
        { "hello", DatagramRefusal.NotJson, "not JSON" },
        { "{\"dpv\": \"1\",\"d\": \"\\ud800\",\"policies\":[]}", DatagramRefusal.NotJson, "not JSON text" },
        { "[1]", DatagramRefusal.NotJson, "not a JSON object" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\"", DatagramRefusal.NotJson, "not JSON" },
        { "{\"dpv\": \"1\"}{}", DatagramRefusal.NotJson, "not JSON" },
        { "{\"d\": \"example.com\",\"policies\":[{\"policy-type\":9,\"t\":0,\"f\":0}]}", DatagramRefusal.WrongVersion, "dpv: missing" },
        { "{\"dpv\": \"2\",\"d\": \"example.com\",\"policies\":[{\"policy-type\":9,\"t\":0,\"f\":0}]}", DatagramRefusal.WrongVersion, "'2' is not the version" },
        { "{\"dpv\":1,\"d\": \"example.com\",\"policies\":[{\"policy-type\":9,\"t\":0,\"f\":0}]}", DatagramRefusal.WrongVersion, "dpv" },
        { "{\"dpv\": \"1\",\"policies\":[{\"policy-type\":9,\"t\":0,\"f\":0}]}", DatagramRefusal.NoDomain, "d: missing" },
        { "{\"dpv\": \"1\",\"d\": \"not a domain\",\"policies\":[{\"policy-type\":9,\"t\":0,\"f\":0}]}", DatagramRefusal.NoDomain, "d: " },
        { "{\"dpv\": \"1\",\"d\": \"example.com\"}", DatagramRefusal.NoPolicies, "policies: missing" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[]}", DatagramRefusal.NoPolicies, "policies: missing or empty" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[{\"policy-type\":3,\"t\":0,\"f\":0}]}", DatagramRefusal.UnknownPolicyType, "policies[0].policy-type: 3" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[{\"t\":0,\"f\":0}]}", DatagramRefusal.UnknownPolicyType, "policy-type: missing" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[{\"policy-type\":9,\"t\":0}]}", DatagramRefusal.BadField, "policies[0].f: missing" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[{\"policy-type\":9,\"t\":0,\"f\":2}]}", DatagramRefusal.BadField, "2 is not 0 (success) or 1" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[{\"policy-type\": \"2\",\"t\":0,\"f\":0}]}", DatagramRefusal.BadField, "policy-type: not a whole number" },
        { "{\"dpv\": \"1\",\"d\":5,\"policies\":[{\"policy-type\":9,\"t\":0,\"f\":0}]}", DatagramRefusal.BadField, "d: not a string" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":{}}", DatagramRefusal.BadField, "policies: not an array" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[5]}", DatagramRefusal.BadField, "policies[0]: not an object" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[{\"policy-type\":2,\"mx-host\":[1],\"t\":0,\"f\":0}]}", DatagramRefusal.BadField, "mx-host[0]: not a string" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[{\"policy-type\":2,\"mx-host\":[\"bad host\"],\"t\":0,\"f\":0}]}", DatagramRefusal.BadField, "policies[0].mx-host[0]" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[{\"policy-type\":9,\"policy-string\":[\"x\"],\"t\":0,\"f\":0}]}", DatagramRefusal.BadField, "no-policy-found" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[{\"policy-type\":9,\"failure-details\":[{\"s\": \"192.0.2.1\"}],\"t\":1,\"f\":1}]}", DatagramRefusal.BadField, "failure-details[0].c: missing" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[{\"policy-type\":9,\"failure-details\":[{\"c\":204,\"s\": \"1.2.3\"}],\"t\":1,\"f\":1}]}", DatagramRefusal.BadField, "failure-details[0].s: '1.2.3'" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[{\"policy-type\":9,\"failure-details\":[{\"c\":204,\"r\": \"mx\"}],\"t\":1,\"f\":1}]}", DatagramRefusal.BadField, "failure-details[0].r:" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[{\"policy-type\":9,\"failure-details\":[{\"c\":204,\"n\": \"a b\"}],\"t\":1,\"f\":1}]}", DatagramRefusal.BadField, "failure-details[0].n:" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[{\"policy-type\":9,\"failure-details\":[{\"c\":204,\"f\": \"a\\nb\"}],\"t\":1,\"f\":1}]}", DatagramRefusal.BadField, "control character U+000A" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"pr\": \"v=TLSRPTv1;\\u0000\",\"policies\":[{\"policy-type\":9,\"t\":0,\"f\":0}]}", DatagramRefusal.BadField, "pr: contains the control character" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[{\"policy-type\":2,\"policy-domain\": \"-bad-\",\"t\":0,\"f\":0}]}", DatagramRefusal.BadField, "policies[0].policy-domain" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"pr\":5,\"policies\":[{\"policy-type\":9,\"t\":0,\"f\":0}]}", DatagramRefusal.BadField, "pr: not a string" },
        { "{\"dpv\":1,\"d\": \"example.com\",\"policies\":[{\"policy-type\":9,\"t\":0,\"f\":0}]}", DatagramRefusal.WrongVersion, "dpv: '(not a string)' is not the version \"1\" libtlsrpt writes" },
        { "{\"dpv\": \"1\",\"x\":[[[[[[[[[1]]]]]]]]],\"d\": \"example.com\",\"policies\":[{\"policy-type\":9,\"t\":0,\"f\":0}]}", DatagramRefusal.NotJson, "not JSON" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[{\"policy-type\":2,\"policy-domain\":5,\"t\":0,\"f\":0}]}", DatagramRefusal.BadField, "policies[0].policy-domain: not a string" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[{\"policy-type\":2,\"policy-string\": \"x\",\"t\":0,\"f\":0}]}", DatagramRefusal.BadField, "policies[0].policy-string: not an array of strings" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[{\"policy-type\":2,\"t\": \"0\",\"f\":0}]}", DatagramRefusal.BadField, "policies[0].t: not a whole number" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[{\"policy-type\":2,\"t\":0,\"f\":1.5}]}", DatagramRefusal.BadField, "policies[0].f: not a whole number" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[{\"policy-type\":9,\"failure-details\":{},\"t\":0,\"f\":1}]}", DatagramRefusal.BadField, "policies[0].failure-details: not an array" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[{\"policy-type\":9,\"failure-details\":[{\"c\":204},7],\"t\":2,\"f\":1}]}", DatagramRefusal.BadField, "policies[0].failure-details[1]: not an object" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[{\"policy-type\":9,\"failure-details\":[{\"c\":201},{\"c\":\"204\"}],\"t\":2,\"f\":1}]}", DatagramRefusal.BadField, "policies[0].failure-details[1].c: not a whole number" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[{\"policy-type\":9,\"failure-details\":[{\"c\":201},{\"c\":204,\"s\":1}],\"t\":2,\"f\":1}]}", DatagramRefusal.BadField, "policies[0].failure-details[1].s: not a string" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[{\"policy-type\":9,\"failure-details\":[{\"c\":201},{\"c\":204,\"n\":1}],\"t\":2,\"f\":1}]}", DatagramRefusal.BadField, "policies[0].failure-details[1].n: not a string" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[{\"policy-type\":9,\"failure-details\":[{\"c\":201},{\"c\":204,\"h\":1}],\"t\":2,\"f\":1}]}", DatagramRefusal.BadField, "policies[0].failure-details[1].h: not a string" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[{\"policy-type\":9,\"failure-details\":[{\"c\":201},{\"c\":204,\"r\":1}],\"t\":2,\"f\":1}]}", DatagramRefusal.BadField, "policies[0].failure-details[1].r: not a string" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[{\"policy-type\":9,\"failure-details\":[{\"c\":201},{\"c\":204,\"a\":1}],\"t\":2,\"f\":1}]}", DatagramRefusal.BadField, "policies[0].failure-details[1].a: not a string" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[{\"policy-type\":9,\"failure-details\":[{\"c\":201},{\"c\":204,\"f\":1}],\"t\":2,\"f\":1}]}", DatagramRefusal.BadField, "policies[0].failure-details[1].f: not a string" },
        { "{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[{\"policy-type\":9,\"t\":0,\"f\":0},{\"policy-type\":7,\"t\":0,\"f\":0}]}", DatagramRefusal.UnknownPolicyType, "policies[1].policy-type: 7 is not 1 (tlsa), 2 (sts) or 9 (no-policy-found)" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Refuses_a_datagram_that_breaks_a_rule_naming_what_is_wrong(string datagram, DatagramRefusal refusal, string because)
    {
        var result = Read(datagram);

        Assert.Null(result.Datagram);
        Assert.Equal(refusal, result.Refusal);
        Assert.Contains(because, result.Problem);
    }

    public static TheoryData<string, int, string> Limits => new()
    {
        // field, its limit, and the path a refusal names
        { "pr", OutcomeFields.MaxTlsRptRecordLength, "pr" },
        { "h", OutcomeFields.MaxHeloLength, "policies[0].failure-details[0].h" },
        { "f", OutcomeFields.MaxReasonLength, "policies[0].failure-details[0].f" },
        { "a", OutcomeFields.MaxAdditionalInformationLength, "policies[0].failure-details[0].a" },
        { "policy-string", OutcomeFields.MaxPolicyStringLength, "policies[0].policy-string[1]" },
    };

    [Theory]
    [MemberData(nameof(Limits))]
    public void Strings_are_kept_at_their_limit_and_refused_one_character_over(string field, int limit, string path)
    {
        Assert.Null(Read(WithString(field, new string('x', limit))).Refusal);

        var over = Read(WithString(field, new string('x', limit + 1)));

        Assert.Equal(DatagramRefusal.OversizedString, over.Refusal);
        Assert.Equal($"{path}: is longer than {limit} characters", over.Problem);
    }

    [Theory]
    [MemberData(nameof(Limits))]
    public void A_control_character_in_a_string_at_its_limit_is_a_bad_field_not_an_oversized_one(string field, int limit, string path)
    {
        var result = Read(WithString(field, new string('x', limit - 1) + "\u0001"));

        Assert.Equal(DatagramRefusal.BadField, result.Refusal);
        Assert.Equal($"{path}: contains the control character U+0001", result.Problem);
    }

    private static byte[] WithString(string field, string value)
    {
        var failure = new LibTlsRptFailure(204,
            Helo: field == "h" ? value : null, ReasonCode: field == "f" ? value : null, AdditionalInformation: field == "a" ? value : null);
        var policy = LibTlsRptDatagrams.Sts("example.com", true, failure);
        if (field == "policy-string")
        {
            policy = policy with { PolicyStrings = ["version: STSv1", value] };
        }

        return LibTlsRptDatagrams.Write("example.com", field == "pr" ? value : null, policy);
    }

    [Theory]
    [InlineData(OutcomeFields.MaxPolicyStrings, null, null)]
    [InlineData(OutcomeFields.MaxPolicyStrings + 1, DatagramRefusal.OversizedString, "policies[0].policy-string: 1001 lines; at most 1000")]
    public void Policy_lines_are_kept_up_to_their_limit(int lines, DatagramRefusal? refusal, string? problem)
    {
        var policy = LibTlsRptDatagrams.Sts("example.com") with { PolicyStrings = Enumerable.Range(0, lines).Select(i => $"l{i}").ToArray() };

        var result = Read(LibTlsRptDatagrams.Write("example.com", null, policy));

        Assert.Equal((refusal, problem), (result.Refusal, result.Problem));
    }

    [Theory]
    [InlineData(OutcomeFields.MaxMxHosts, null, null)]
    [InlineData(OutcomeFields.MaxMxHosts + 1, DatagramRefusal.OversizedString, "policies[0].mx-host: 101 patterns; at most 100")]
    public void Mx_patterns_are_kept_up_to_their_limit(int patterns, DatagramRefusal? refusal, string? problem)
    {
        var policy = LibTlsRptDatagrams.Sts("example.com") with { MxHosts = Enumerable.Range(0, patterns).Select(i => $"mx{i}.example.com").ToArray() };

        var result = Read(LibTlsRptDatagrams.Write("example.com", null, policy));

        Assert.Equal((refusal, problem), (result.Refusal, result.Problem));
    }

    [Fact]
    public void A_domain_longer_than_a_domain_can_be_is_no_domain()
    {
        var result = Read(LibTlsRptDatagrams.Write(new string('a', 300) + ".com", null, LibTlsRptDatagrams.Sts("example.com")));

        Assert.Equal(DatagramRefusal.NoDomain, result.Refusal);
        Assert.StartsWith("d: ", result.Problem);
    }

    [Fact]
    public void Notes_of_several_policies_add_up_and_never_cancel()
    {
        var mismatch = LibTlsRptDatagrams.Sts("example.com", true, new LibTlsRptFailure(204)) with { T = 5 };
        var internalCode = LibTlsRptDatagrams.Sts("example.com", true, new LibTlsRptFailure(901), new LibTlsRptFailure(901));

        Assert.Equal(DatagramNotes.CountMismatch, Read(LibTlsRptDatagrams.Write("example.com", null, mismatch, mismatch)).Notes);
        Assert.Equal(DatagramNotes.InternalFailureCode, Read(LibTlsRptDatagrams.Write("example.com", null, internalCode)).Notes);
        Assert.Equal(DatagramNotes.CountMismatch | DatagramNotes.InternalFailureCode | DatagramNotes.UnknownFailureCode,
            Read(LibTlsRptDatagrams.Write("example.com", null, mismatch, internalCode, LibTlsRptDatagrams.Sts("example.com", true, new LibTlsRptFailure(777)))).Notes);
    }

    [Fact]
    public void Unknown_members_holding_objects_are_skipped_at_every_level()
    {
        var result = Read("{\"dpv\": \"1\",\"d\": \"example.com\",\"policies\":[{\"policy-type\":9,\"x\":{\"y\":[1,{\"z\":2}]},"
            + "\"failure-details\":[{\"c\":204,\"x\":[{\"y\":1}],\"s\": \"192.0.2.1\"}],\"t\":1,\"f\":1}],\"later\":{\"a\":[]}}");

        var delta = Fold(result);
        Assert.Equal("192.0.2.1", Assert.Single(delta.Failures).Value.Detail.SendingMtaIp);
    }

    [Fact]
    public void Empty_and_null_strings_are_absent_fields()
    {
        var result = Read("{\"dpv\": \"1\",\"d\": \"example.com\",\"pr\":null,\"policies\":[{\"policy-type\":9,"
            + "\"failure-details\":[{\"c\":204,\"s\":null,\"h\": \"\",\"f\": \"\",\"a\": \"\"}],\"t\":1,\"f\":1}]}");

        var detail = Assert.Single(Fold(result).Failures).Value.Detail;
        Assert.Equal(new string?[] { null, null, null, null }, new[] { detail.SendingMtaIp, detail.ReceivingMxHelo, detail.FailureReasonCode, detail.AdditionalInformation });
        Assert.Null(result.Datagram!.TlsRptRecord);
    }

    [Fact]
    public void Policies_that_differ_in_type_lines_or_patterns_stay_apart_in_one_reader()
    {
        var reader = new LibTlsRptDatagramReader();
        var policies = new[]
        {
            new LibTlsRptPolicy(2, null, ["version: STSv1", "mode: testing"], ["mx.example.com"], null, false),
            new LibTlsRptPolicy(2, null, ["version: STSv1", "mode: enforce"], ["mx.example.com"], null, false),
            new LibTlsRptPolicy(2, null, ["version: STSv1", "mode: testing"], ["mx2.example.com"], null, false),
            new LibTlsRptPolicy(1, null, ["version: STSv1", "mode: testing"], ["mx.example.com"], null, false),
            // The same words as a line or as a pattern are different policies.
            new LibTlsRptPolicy(2, null, ["mx.example.com"], null, null, false),
            new LibTlsRptPolicy(2, null, null, ["mx.example.com"], null, false),
        };
        var delta = new DailyOutcomeDelta();
        foreach (var policy in policies.Concat(policies))
        {
            reader.Read(LibTlsRptDatagrams.Write("example.com", null, policy)).Datagram!.FoldInto(delta, Day);
        }

        Assert.Equal(6, delta.Policies.Count);
        Assert.All(delta.PolicyDays.Values, c => Assert.Equal(2, c.Successes));
        Assert.Equal(
            policies.Select(p => (p.PolicyType == 1 ? PolicyType.Tlsa : PolicyType.Sts, string.Join('|', p.PolicyStrings ?? []), string.Join('|', p.MxHosts ?? []))).Order(),
            delta.Policies.Values.Select(p => (p.Type, string.Join('|', p.PolicyStrings), string.Join('|', p.MxHosts))).Order());
    }

    [Fact]
    public void Refusals_and_notes_have_the_names_the_metrics_use()
    {
        Assert.Equal(["not-json", "wrong-version", "no-domain", "no-policies", "unknown-policy-type", "bad-field", "oversized", "too-large"],
            Enum.GetValues<DatagramRefusal>().Select(r => r.Name()));
        Assert.Equal(["not-utf8", "count-mismatch", "internal-failure-code", "unknown-failure-code"], DatagramVerdictNames.EachNote.Select(n => n.Name()));
        Assert.Throws<ArgumentOutOfRangeException>(() => (DatagramNotes.NotUtf8 | DatagramNotes.CountMismatch).Name());
        Assert.Throws<ArgumentOutOfRangeException>(() => ((DatagramRefusal)99).Name());
    }

    [Fact]
    public void The_reader_remembers_checked_policies_without_mixing_them_up()
    {
        var reader = new LibTlsRptDatagramReader();
        var delta = new DailyOutcomeDelta();
        foreach (var domain in new[] { "a.example", "b.example", "a.example" })
        {
            reader.Read(LibTlsRptDatagrams.Write(domain, null, LibTlsRptDatagrams.Sts(domain))).Datagram!.FoldInto(delta, Day);
        }

        Assert.Equal(["*.a.example", "*.b.example"], delta.Policies.Values.Select(p => p.MxHosts[0]).Order());
        Assert.Equal([2L, 1L], delta.PolicyDays.OrderBy(p => p.Key.PolicyDomain.Value).Select(p => p.Value.Successes));
    }

    [Fact]
    public void Later_records_of_a_day_win_and_days_stay_apart()
    {
        var delta = new DailyOutcomeDelta();
        var reader = new LibTlsRptDatagramReader();
        reader.Read(LibTlsRptDatagrams.Write("example.com", "v=TLSRPTv1; rua=mailto:old@example.com", LibTlsRptDatagrams.Sts("example.com"))).Datagram!.FoldInto(delta, Day);
        reader.Read(LibTlsRptDatagrams.Write("example.com", "v=TLSRPTv1; rua=mailto:new@example.com", LibTlsRptDatagrams.Sts("example.com"))).Datagram!.FoldInto(delta, Day);
        reader.Read(LibTlsRptDatagrams.Write("example.com", "v=TLSRPTv1; rua=mailto:next@example.com", LibTlsRptDatagrams.Sts("example.com"))).Datagram!.FoldInto(delta, Day.AddDays(1));

        var merged = new DailyOutcomeDelta();
        merged.Merge(delta);

        Assert.Equal("v=TLSRPTv1; rua=mailto:new@example.com", merged.TlsRptRecords[new RecordDayKey(Day, Example)]);
        Assert.Equal("v=TLSRPTv1; rua=mailto:next@example.com", merged.TlsRptRecords[new RecordDayKey(Day.AddDays(1), Example)]);
    }
}
