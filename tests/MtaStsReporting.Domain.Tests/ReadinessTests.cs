using MtaStsReporting.Domain.MtaSts;
using MtaStsReporting.Domain.Readiness;
using MtaStsReporting.Domain.TlsRpt;

namespace MtaStsReporting.Domain.Tests;

/// <summary>The testing → enforce rules over many cases, including the traps in SPEC.md.</summary>
public class ReadinessTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 9, 30, 0, TimeSpan.Zero);
    private static readonly ReadinessRules Rules = new();
    private static readonly DateOnly Today = DateOnly.FromDateTime(Now.UtcDateTime);
    private static readonly string[] Testing = ["version: STSv1", "mode: testing", "mx: mx1.example.com", "mx: *.backup.example.com", "max_age: 604800"];
    private static readonly string[] Enforce = ["version: STSv1", "mode: enforce", "mx: mx1.example.com", "mx: *.backup.example.com", "max_age: 604800"];
    private static readonly string[] OldTesting = ["version: STSv1", "mode: testing", "mx: mx0.example.com", "max_age: 86400"];

    private static LiveFindings Live(string[] lines, Func<MxProbe, MxProbe>? probe = null, string[]? mx = null) => new(
        new StsRecord("20261101T000000"), null, StsPolicy.Parse(string.Join('\n', lines)).Policy, null,
        mx ?? ["mx1.example.com", "b1.backup.example.com"],
        (mx ?? ["mx1.example.com", "b1.backup.example.com"]).Select(h => (probe ?? (p => p))(new MxProbe(h, "192.0.2.1", ProbeStatus.Secured, true, true, 200, null))).ToList());

    private static ReportDay Day(int daysAgo, string org, long ok, string[]? lines = null, string type = "sts", params (string Type, string Mx, long Count)[] failures) => new(
        DateOnly.FromDateTime(Now.UtcDateTime).AddDays(-daysAgo), org, type, type == "sts" ? lines ?? Testing : [], ok, failures.Sum(f => f.Count),
        failures.GroupBy(f => f.Type).ToDictionary(g => g.Key, g => g.Sum(f => f.Count)),
        failures.GroupBy(f => f.Mx).ToDictionary(g => g.Key, g => g.Sum(f => f.Count)));

    /// <summary>28 days of clean reports from two reporters, 50 sessions a day each.</summary>
    private static List<ReportDay> Clean(string[]? lines = null) =>
        Enumerable.Range(1, 28).SelectMany(d => new[] { Day(d, "Google Inc.", 50, lines), Day(d, "Microsoft Corporation", 50, lines) }).ToList();

    private static ReadinessResult Evaluate(LiveFindings live, IEnumerable<ReportDay> reports, ReadinessRules? rules = null) =>
        ReadinessEvaluator.Evaluate(live, reports.ToList(), rules ?? Rules, Now);

    private static IEnumerable<string> Codes(ReadinessResult r) => r.Reasons.Select(x => x.Code);

    [Fact]
    public void Clean_testing_with_enough_evidence_is_ready_with_the_policy_to_publish()
    {
        var result = Evaluate(Live(Testing), Clean());

        Assert.Equal(Verdict.Ready, result.Verdict);
        Assert.DoesNotContain(result.Reasons, r => r.Severity >= Severity.Insufficient);
        Assert.Equal("version: STSv1\nmode: enforce\nmx: mx1.example.com\nmx: *.backup.example.com\nmax_age: 604800\n", result.NextPolicyText);
        Assert.Equal("20261129093000", result.NextId);

        // READY is explained too: what it rests on, for the change ticket.
        var evidence = result.Reasons.Single(r => r.Code == "evidence").Evidence;
        Assert.Equal(("21", "2026-11-08", "2026-11-28", "Google Inc.,Microsoft Corporation", "2100", "0"),
            (evidence["days-covered"], evidence["first-day"], evidence["last-day"], evidence["reporters"], evidence["sessions"], evidence["failures"]));
    }

    [Theory]
    // Reports on days 1..28 ago except a run of missing days; at most Readiness:MaxGapDays (3) in a row.
    [InlineData(3, null)]
    [InlineData(4, "coverage-gap")]
    [InlineData(15, "coverage-gap")]
    public void A_gap_in_the_reports_is_not_success(int gapDays, string? code)
    {
        var reports = Clean().Where(r => r.Day.DayNumber is var n && (n < Today.DayNumber - 5 - gapDays || n >= Today.DayNumber - 5)).ToList();
        var result = Evaluate(Live(Testing), reports, Rules with { MinReporterDays = 1, MinSessions = 0 });

        Assert.Equal(code is null ? Verdict.Ready : Verdict.InsufficientData, result.Verdict);
        Assert.Equal(code is not null, Codes(result).Contains("coverage-gap"));
    }

    [Theory]
    // Days without a report up to yesterday: 3 allowed, 4 not.
    [InlineData(3, false)]
    [InlineData(4, true)]
    [InlineData(11, true)]
    public void Reports_that_stopped_are_not_success(int silentDays, bool stopped)
    {
        var reports = Clean().Where(r => r.Day < Today.AddDays(-silentDays)).ToList();
        var result = Evaluate(Live(Testing), reports, Rules with { MinSessions = 0 });

        Assert.Equal(stopped, Codes(result).Contains("reports-stopped"));
        Assert.Equal(stopped ? Verdict.InsufficientData : Verdict.Ready, result.Verdict);
        if (stopped)
        {
            Assert.Equal(silentDays.ToString(System.Globalization.CultureInfo.InvariantCulture), result.Reasons.Single(r => r.Code == "reports-stopped").Evidence["days-silent"]);
        }
    }

    [Theory]
    // A reporter counts when it reported on at least Readiness:MinReporterDays (7) days.
    [InlineData(6, Verdict.InsufficientData)]
    [InlineData(7, Verdict.Ready)]
    public void A_reporter_counts_once_it_reported_on_enough_days(int microsoftDays, Verdict verdict)
    {
        var reports = Clean().Where(r => r.Organization == "Google Inc." || r.Day >= Today.AddDays(-microsoftDays)).ToList();
        var result = Evaluate(Live(Testing), reports, Rules with { MinSessions = 0 });

        Assert.Equal(verdict, result.Verdict);
        if (verdict != Verdict.Ready)
        {
            Assert.Equal("Microsoft Corporation", result.Reasons.Single(r => r.Code == "reporters").Evidence["too-few-days"]);
        }
    }

    [Theory]
    [InlineData(false, Verdict.Ready, "0.5")]
    [InlineData(true, Verdict.InsufficientData, "1")]
    public void Unverified_reports_are_shown_and_can_be_left_out(bool requireVerified, Verdict verdict, string share)
    {
        // Microsoft's reports came without a DKIM pass: anyone could have sent them.
        var reports = Clean().Select(r => r.Organization == "Microsoft Corporation" ? r with { Verified = false } : r).ToList();
        var result = Evaluate(Live(Testing), reports, Rules with { RequireVerifiedReports = requireVerified });

        Assert.Equal(verdict, result.Verdict);
        var evidence = result.Reasons.Single(r => r.Code == "evidence").Evidence;
        Assert.Equal((share, "1050"), (evidence["verified-share"], evidence["verified-sessions"]));
        Assert.Equal(requireVerified, Codes(result).Contains("unverified-ignored"));
        if (requireVerified)
        {
            Assert.Equal("Microsoft Corporation", result.Reasons.Single(r => r.Code == "unverified-ignored").Evidence["reporters"]);
        }
    }

    [Fact]
    public void Failures_under_an_older_policy_do_not_block_the_current_one()
    {
        // A third reporter still applied the old policy (an MX since removed) on the window's first day, and failed.
        var reports = Clean().Append(Day(21, "Yahoo", 10, OldTesting, "sts", ("certificate-expired", "mx0.example.com", 5)));
        var result = Evaluate(Live(Testing), reports);

        Assert.Equal(Verdict.Ready, result.Verdict);
        Assert.DoesNotContain("enforce-would-block", Codes(result));
        Assert.DoesNotContain("mx-seen-not-covered", Codes(result));
    }

    [Fact]
    public void Silence_is_not_success()
    {
        var result = Evaluate(Live(Testing), []);
        Assert.Equal(Verdict.InsufficientData, result.Verdict);
        Assert.Equal(["evidence", "observation-period", "reporters", "sessions"], Codes(result).Order());
        Assert.Null(result.NextPolicyText);
    }

    [Fact]
    public void A_reporter_that_sends_nothing_about_sts_does_not_count()
    {
        // Microsoft reports only no-policy-found for the domain (as some senders do in testing).
        var reports = Enumerable.Range(1, 28).SelectMany(d => new[] { Day(d, "Google Inc.", 50), Day(d, "Microsoft Corporation", 50, type: "no-policy-found") });
        var result = Evaluate(Live(Testing), reports);

        Assert.Equal(Verdict.InsufficientData, result.Verdict);
        var reporters = Assert.Single(result.Reasons, r => r.Code == "reporters");
        Assert.Equal(("Google Inc.", "Microsoft Corporation"), (reporters.Evidence["reporters"], reporters.Evidence["silent-on-sts"]));
    }

    [Fact]
    public void A_policy_changed_during_the_window_restarts_the_observation()
    {
        var reports = Clean(OldTesting).Where(r => r.Day < DateOnly.FromDateTime(Now.UtcDateTime).AddDays(-10))
            .Concat(Clean().Where(r => r.Day >= DateOnly.FromDateTime(Now.UtcDateTime).AddDays(-10)));
        var result = Evaluate(Live(Testing), reports);

        Assert.Equal(Verdict.InsufficientData, result.Verdict);
        Assert.Contains("policy-changed", Codes(result));
        Assert.Equal("10", result.Reasons.Single(r => r.Code == "observation-period").Evidence["days"]);
    }

    [Fact]
    public void Reporters_still_on_an_old_policy_point_at_an_unchanged_id()
    {
        // Google switched to the new policy; on the latest day Microsoft still applies the old one.
        var reports = Clean().Where(r => r.Organization == "Google Inc.")
            .Concat(Enumerable.Range(1, 28).Select(d => Day(d, "Microsoft Corporation", 50, OldTesting)));
        var result = Evaluate(Live(Testing), reports);

        Assert.Equal(Verdict.InsufficientData, result.Verdict);
        var stale = result.Reasons.Single(r => r.Code == "reporters-see-old-policy");
        Assert.Equal(("Microsoft Corporation", "20261101T000000"), (stale.Evidence["reporters"], stale.Evidence["txt-id"]));
    }

    [Fact]
    public void A_high_failure_rate_of_other_kinds_is_a_warning()
    {
        var reports = Clean().Append(Day(2, "Google Inc.", 0, null, "sts", ("dnssec-invalid", "mx1.example.com", 200)));
        var result = Evaluate(Live(Testing), reports);
        Assert.Equal(Verdict.Ready, result.Verdict);
        Assert.Equal(Severity.Warning, result.Reasons.Single(r => r.Code == "failure-rate").Severity);
    }

    [Fact]
    public void Failures_enforce_would_turn_into_undelivered_mail_make_it_not_ready_with_evidence()
    {
        var reports = Clean().Append(Day(3, "Google Inc.", 40, null, "sts", ("certificate-expired", "b1.backup.example.com", 7), ("starttls-not-supported", "mx1.example.com", 2)));
        var result = Evaluate(Live(Testing), reports);

        Assert.Equal(Verdict.NotReady, result.Verdict);
        var reason = result.Reasons[0];
        Assert.Equal(("enforce-would-block", Severity.Blocking), (reason.Code, reason.Severity));
        Assert.Equal("certificate-expired=7,starttls-not-supported=2", reason.Evidence["by-result-type"]);
        Assert.Equal("b1.backup.example.com=7,mx1.example.com=2", reason.Evidence["by-mx"]);
        Assert.Equal("Google Inc.", reason.Evidence["reporters"]);
        Assert.Equal(("2026-11-26", "2026-11-26"), (reason.Evidence["first-day"], reason.Evidence["last-day"]));
    }

    [Theory]
    [InlineData("sts-policy-fetch-error", "mx1.example.com", "policy-host")]
    [InlineData("sts-webpki-invalid", "mx1.example.com", "policy-host")]
    [InlineData("validation-failure", "mx9.elsewhere.example", "mx-seen-not-covered")]
    public void Other_report_failures_block(string type, string mx, string code)
    {
        var result = Evaluate(Live(Testing), Clean().Append(Day(2, "Google Inc.", 0, null, "sts", (type, mx, 1))));
        Assert.Equal(Verdict.NotReady, result.Verdict);
        Assert.Contains(code, Codes(result));
    }

    [Fact]
    public void A_threshold_can_allow_some_failures()
    {
        var reports = Clean().Append(Day(3, "Google Inc.", 40, null, "sts", ("certificate-expired", "mx1.example.com", 3)));
        Assert.Equal(Verdict.Ready, Evaluate(Live(Testing), reports, Rules with { MaxEnforceBlockingFailures = 5 }).Verdict);
    }

    [Fact]
    public void Live_problems_block()
    {
        Assert.Contains("mx-not-covered", Codes(Evaluate(Live(Testing, mx: ["mx1.example.com", "mx2.example.com"]), Clean())));
        Assert.Contains("certificate-expired", Codes(Evaluate(Live(Testing, p => p with { CertificateTrusted = false, DaysUntilExpiry = -2 }), Clean())));
        Assert.Contains("certificate-name", Codes(Evaluate(Live(Testing, p => p with { NameMatches = false }), Clean())));
        var noRecord = Live(Testing) with { Record = null, RecordError = "2 TXT records start with v=STSv1" };
        Assert.Equal(Verdict.NotReady, Evaluate(noRecord, Clean()).Verdict);
        var noPolicy = Live(Testing) with { Policy = null, PolicyError = "HTTP 404" };
        var result = Evaluate(noPolicy, Clean());
        Assert.Equal((Verdict.NotReady, (StsPolicyMode?)null), (result.Verdict, result.Mode));
        Assert.Contains("HTTP 404", result.Reasons.Single(r => r.Code == "policy-fetch").Message);
    }

    public static TheoryData<ProbeStatus, bool, bool, int, string, Severity, Verdict, string> Probes => new()
    {
        // status, trusted, name matches, days left → reason, its severity, the verdict, words of its message
        { ProbeStatus.StartTlsNotOffered, false, false, 0, "starttls-missing", Severity.Blocking, Verdict.NotReady, "mx1.example.com [192.0.2.1] does not offer STARTTLS" },
        { ProbeStatus.TlsFailed, false, false, 0, "starttls-failed", Severity.Blocking, Verdict.NotReady, "the TLS handshake failed" },
        { ProbeStatus.Unreachable, false, false, 0, "mx-unreachable", Severity.Insufficient, Verdict.InsufficientData, "could not be reached from here" },
        { ProbeStatus.NoAddress, false, false, 0, "mx-no-address", Severity.Warning, Verdict.Ready, "has no address" },
        { ProbeStatus.Secured, false, true, -2, "certificate-expired", Severity.Blocking, Verdict.NotReady, "expired 2 days ago" },
        { ProbeStatus.Secured, false, true, -1, "certificate-expired", Severity.Blocking, Verdict.NotReady, "expired 1 day ago" },
        { ProbeStatus.Secured, true, false, 200, "certificate-name", Severity.Blocking, Verdict.NotReady, "for another name" },
        { ProbeStatus.Secured, false, true, 200, "certificate-not-trusted", Severity.Blocking, Verdict.NotReady, "does not validate" },
        { ProbeStatus.Secured, true, true, 13, "certificate-expiring", Severity.Warning, Verdict.Ready, "expires in 13 days" },
        { ProbeStatus.Secured, true, true, 0, "certificate-expiring", Severity.Warning, Verdict.Ready, "expires in 0 days" },
    };

    [Theory]
    [MemberData(nameof(Probes))]
    public void Each_probe_outcome_has_its_own_reason(ProbeStatus status, bool trusted, bool nameMatches, int days, string code, Severity severity, Verdict verdict, string words)
    {
        var live = Live(Testing, p => p.Host == "mx1.example.com" ? p with { Status = status, CertificateTrusted = trusted, NameMatches = nameMatches, DaysUntilExpiry = days } : p);
        var result = Evaluate(live, Clean());

        var reason = Assert.Single(result.Reasons, r => r.Evidence.TryGetValue("mx", out var mx) && mx == "mx1.example.com");
        Assert.Equal((code, severity, verdict), (reason.Code, reason.Severity, result.Verdict));
        Assert.Contains(words, reason.Message, StringComparison.Ordinal);
        Assert.Equal("192.0.2.1", reason.Evidence["address"]);
    }

    [Fact]
    public void Fourteen_days_left_is_no_warning()
    {
        var result = Evaluate(Live(Testing, p => p with { DaysUntilExpiry = 14 }), Clean());
        Assert.DoesNotContain("certificate-expiring", Codes(result));
    }

    [Fact]
    public void Each_address_of_an_mx_is_judged_on_its_own()
    {
        var live = Live(Testing) with
        {
            Probes =
            [
                new MxProbe("mx1.example.com", "192.0.2.1", ProbeStatus.Secured, true, true, 200, null),
                new MxProbe("mx1.example.com", "192.0.2.2", ProbeStatus.Secured, false, true, -3, "certificate has expired"),
            ],
        };
        var reason = Assert.Single(Evaluate(live, Clean()).Reasons, r => r.Severity == Severity.Blocking);
        Assert.Equal(("certificate-expired", "192.0.2.2"), (reason.Code, reason.Evidence["address"]));
    }

    [Theory]
    [InlineData(13, true)]
    [InlineData(14, false)]
    [InlineData(-1, false)] // expired: the fetch itself fails (sts-webpki-invalid)
    public void A_policy_host_certificate_expiring_soon_is_a_warning(int days, bool warned)
    {
        var result = Evaluate(Live(Testing) with { PolicyCertificateDaysLeft = days }, Clean());
        Assert.Equal(warned, Codes(result).Contains("policy-certificate-expiring"));
        Assert.Equal(Verdict.Ready, result.Verdict);
    }

    [Fact]
    public void Mode_none_gives_one_reason_and_needs_no_mx_lines()
    {
        var none = Live(["version: STSv1", "mode: none", "max_age: 86400"]);
        var result = Evaluate(none, Clean());
        Assert.Equal(Verdict.NotReady, result.Verdict);
        Assert.Equal(["mode-none"], Codes(result));
    }

    [Fact]
    public void A_certificate_expiring_soon_is_a_warning_only()
    {
        var result = Evaluate(Live(Testing, p => p with { DaysUntilExpiry = 5 }), Clean());
        Assert.Equal(Verdict.Ready, result.Verdict);
        var expiring = result.Reasons.Where(r => r.Code == "certificate-expiring").ToList();
        Assert.Equal(["mx1.example.com", "b1.backup.example.com"], expiring.Select(r => r.Evidence["mx"]));
        Assert.All(expiring, r => Assert.Equal(Severity.Warning, r.Severity));
    }

    [Fact]
    public void Enforce_is_kept_while_it_holds_and_rolled_back_when_failures_rise()
    {
        Assert.Equal(Verdict.Keep, Evaluate(Live(Enforce), Clean(Enforce)).Verdict);

        var rising = Clean(Enforce).Append(Day(1, "Google Inc.", 0, Enforce, "sts", ("certificate-expired", "mx1.example.com", 30)));
        var result = Evaluate(Live(Enforce), rising);
        Assert.Equal(Verdict.RollBack, result.Verdict);
        Assert.Equal("failures-rising", result.Reasons[0].Code);
        Assert.Equal("version: STSv1\nmode: testing\nmx: mx1.example.com\nmx: *.backup.example.com\nmax_age: 604800\n", result.NextPolicyText);

        Assert.Equal(Verdict.RollBack, Evaluate(Live(Enforce, p => p with { DaysUntilExpiry = -1 }), Clean(Enforce)).Verdict);
        Assert.Contains("no-recent-reports", Codes(Evaluate(Live(Enforce), [])));
        Assert.Equal(Verdict.Keep, Evaluate(Live(Enforce), []).Verdict);
    }

    [Fact]
    public void The_same_inputs_give_the_same_verdict()
    {
        var reports = Clean().Append(Day(3, "Google Inc.", 40, null, "sts", ("certificate-expired", "mx1.example.com", 1)));
        var a = Evaluate(Live(Testing), reports);
        var b = Evaluate(Live(Testing), reports.Reverse());
        Assert.Equal(a.Verdict, b.Verdict);
        Assert.Equal(a.Reasons.Select(r => (r.Code, r.Message, string.Join(";", r.Evidence.OrderBy(e => e.Key)))),
                     b.Reasons.Select(r => (r.Code, r.Message, string.Join(";", r.Evidence.OrderBy(e => e.Key)))));
    }
}

public class RecordTests
{
    [Theory]
    [InlineData(new[] { "v=STSv1; id=20261101T000000;" }, "20261101T000000", null)]
    [InlineData(new[] { "v=STSv1;id=abc123", "google-site-verification=x" }, "abc123", null)]
    [InlineData(new[] { "v=STSv1; id=abc; ext=1" }, "abc", null)]
    [InlineData(new string[0], null, "no TXT record")]
    [InlineData(new[] { "v=STSv1; id=a", "v=STSv1; id=b" }, null, "2 TXT records")]
    [InlineData(new[] { "v=STSv1; id=not-alnum" }, null, "letters and digits")]
    [InlineData(new[] { "v=STSv1; id=123456789012345678901234567890123" }, null, "letters and digits")]
    [InlineData(new[] { "v=STSv1;" }, null, "no id")]
    public void Sts_records_are_read_as_rfc_8461_says(string[] txt, string? id, string? error)
    {
        var result = StsRecord.Parse(txt);
        Assert.Equal(id, result.Record?.Id);
        if (error is not null)
        {
            Assert.Contains(error, result.Error);
        }
    }

    [Fact]
    public void Tlsrpt_records_list_their_rua_uris()
    {
        var result = TlsRptRecord.Parse(["v=TLSRPTv1; rua=mailto:tlsrpt@example.com,https://reports.example.com/v1/tlsrpt"]);
        Assert.Equal(["mailto:tlsrpt@example.com", "https://reports.example.com/v1/tlsrpt"], result.Record!.Rua.Select(u => u.OriginalString));
        Assert.Contains("2 TXT records", TlsRptRecord.Parse(["v=TLSRPTv1; rua=mailto:a@example.com", "v=TLSRPTv1; rua=mailto:b@example.com"]).Error);
        Assert.Contains("no mailto: or https:", TlsRptRecord.Parse(["v=TLSRPTv1; rua=http://insecure.example.com"]).Error);
    }
}
