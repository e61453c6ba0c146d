using System.Globalization;
using MtaStsReporting.Domain.MtaSts;
using MtaStsReporting.Domain.Names;
using MtaStsReporting.Domain.TlsRpt;

namespace MtaStsReporting.Domain.Readiness;

/// <summary>
/// Turns the operators' rules of thumb for testing → enforce (SPEC.md, "Deciding when to
/// switch") into an explicit evaluation. Pure: the same findings, reports, rules and time give
/// the same result.
/// </summary>
public static class ReadinessEvaluator
{
    /// <summary>Result types that an MTA-STS policy in enforce turns into undelivered mail (RFC 8461 §5).</summary>
    public static readonly IReadOnlySet<string> EnforceBlocking = new HashSet<string>(StringComparer.Ordinal)
    {
        ResultType.StartTlsNotSupported.Name, ResultType.CertificateHostMismatch.Name, ResultType.CertificateExpired.Name,
        ResultType.CertificateNotTrusted.Name, ResultType.ValidationFailure.Name,
    };

    /// <summary>Evaluates a domain at <paramref name="now"/>.</summary>
    public static ReadinessResult Evaluate(LiveFindings live, IReadOnlyList<ReportDay> reports, ReadinessRules rules, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(live);
        ArgumentNullException.ThrowIfNull(reports);
        ArgumentNullException.ThrowIfNull(rules);
        var reasons = new List<Reason>();
        CheckLive(live, rules, reasons);
        var policy = live.Policy;
        if (policy is null)
        {
            return Result(Verdict.NotReady, null, reasons, null, null);
        }

        var today = DateOnly.FromDateTime(now.UtcDateTime);
        if (rules.RequireVerifiedReports)
        {
            // Anyone can mail the rua address: with this rule only authenticated reports are evidence.
            var unverified = reports.Where(r => !r.Verified).ToList();
            if (unverified.Count > 0)
            {
                reasons.Add(new Reason("unverified-ignored", Severity.Info,
                    $"{unverified.Sum(r => r.Successes + r.Failures)} sessions in reports without a DKIM pass were not counted (Readiness:RequireVerifiedReports).",
                    Ev(("reporters", string.Join(",", unverified.Select(r => r.Organization).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))))));
                reports = reports.Where(r => r.Verified).ToList();
            }
        }

        if (policy.Mode == StsPolicyMode.Enforce)
        {
            return EvaluateEnforce(policy, live.Record?.Id, reports, rules, today, now, reasons);
        }

        if (policy.Mode == StsPolicyMode.None)
        {
            reasons.Add(new Reason("mode-none", Severity.Blocking, "The policy is in mode none: publish it in testing and collect reports first.", Empty));
            return Result(Verdict.NotReady, policy.Mode, reasons, null, null);
        }

        return EvaluateTesting(live, policy, reports, rules, today, now, reasons);
    }

    private static ReadinessResult EvaluateTesting(LiveFindings live, StsPolicy policy, IReadOnlyList<ReportDay> reports, ReadinessRules rules, DateOnly today, DateTimeOffset now, List<Reason> reasons)
    {
        var windowStart = today.AddDays(-rules.ObservationDays);
        var window = reports.Where(r => r.Day >= windowStart && r.Day < today).ToList();

        // Only reports about the policy in force count: after a change, observation starts again.
        var current = window.Where(r => r.PolicyType == "sts" && SamePolicy(r.PolicyStrings, policy)).ToList();
        var otherPolicies = window.Where(r => r.PolicyType == "sts" && !SamePolicy(r.PolicyStrings, policy) && r.PolicyStrings.Count > 0).ToList();
        if (otherPolicies.Count > 0)
        {
            reasons.Add(new Reason("policy-changed", Severity.Info,
                "Reporters saw another policy during the window; only reports of the current policy count.",
                Ev(("other-policy-days", string.Join(",", otherPolicies.Select(r => Day(r.Day)).Distinct().Order(StringComparer.Ordinal))))));
        }

        // RFC 8461 §3.1: senders refetch only when the _mta-sts id changes (or max_age runs out).
        // Reporters still applying an older policy on the latest day suggest the id was not changed.
        var lastStsDay = window.Where(r => r.PolicyType == "sts" && r.PolicyStrings.Count > 0).Select(r => r.Day).DefaultIfEmpty().Max();
        var staleReporters = otherPolicies.Where(r => r.Day == lastStsDay).Select(r => r.Organization).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (otherPolicies.Count > 0 && staleReporters.Count > 0)
        {
            reasons.Add(new Reason("reporters-see-old-policy", Severity.Insufficient,
                $"On {Day(lastStsDay)} reporters still applied another policy than the one published; senders refetch only when the _mta-sts id changes: check that it changed with the policy.",
                Ev(("reporters", string.Join(",", staleReporters)), ("txt-id", live.Record?.Id ?? "none"))));
        }

        var firstDay = current.Count == 0 ? (DateOnly?)null : current.Min(r => r.Day);
        var observed = firstDay is null ? 0 : today.DayNumber - firstDay.Value.DayNumber;
        if (observed < rules.ObservationDays)
        {
            reasons.Add(new Reason("observation-period", Severity.Insufficient,
                $"Reports of the current policy cover {observed} days; {rules.ObservationDays} are needed.",
                Ev(("first-day", firstDay is null ? "none" : Day(firstDay.Value)), ("days", observed.ToString(CultureInfo.InvariantCulture)))));
        }

        // Silence is not success (SPEC.md): the reports must cover the window without long gaps,
        // and must not have stopped; days before the current policy's first report are the
        // observation-period rule's business.
        if (firstDay is not null)
        {
            var reportDays = current.Select(r => r.Day).Distinct().Order().ToList();
            var gap = reportDays.Zip(reportDays.Skip(1), (a, b) => (From: a, Days: b.DayNumber - a.DayNumber - 1)).DefaultIfEmpty().MaxBy(g => g.Days);
            var lastDay = reportDays[^1];
            var silentSince = today.DayNumber - lastDay.DayNumber - 1;
            if (silentSince > rules.MaxGapDays)
            {
                reasons.Add(new Reason("reports-stopped", Severity.Insufficient,
                    $"No report of the current policy for the last {silentSince} days (since {Day(lastDay)}); at most {rules.MaxGapDays} are allowed.",
                    Ev(("last-day", Day(lastDay)), ("days-silent", silentSince.ToString(CultureInfo.InvariantCulture)))));
            }
            else if (gap.Days > rules.MaxGapDays)
            {
                reasons.Add(new Reason("coverage-gap", Severity.Insufficient,
                    $"No report of the current policy for {gap.Days} days after {Day(gap.From)}; at most {rules.MaxGapDays} in a row are allowed.",
                    Ev(("gap-after", Day(gap.From)), ("gap-days", gap.Days.ToString(CultureInfo.InvariantCulture)),
                       ("days-covered", reportDays.Count.ToString(CultureInfo.InvariantCulture)))));
            }

        }

        // Reporters that report nothing about sts (some do, in testing) are not evidence, nor are
        // those that reported on too few days to show anything.
        var daysByReporter = current.GroupBy(r => r.Organization, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(r => r.Day).Distinct().Count(), StringComparer.Ordinal);
        var stsReporters = daysByReporter.Where(r => r.Value >= Math.Min(rules.MinReporterDays, rules.ObservationDays)).Select(r => r.Key).Order(StringComparer.Ordinal).ToList();
        var occasional = daysByReporter.Keys.Except(stsReporters).Order(StringComparer.Ordinal).ToList();
        var silent = window.Select(r => r.Organization).Distinct(StringComparer.Ordinal).Except(daysByReporter.Keys).Order(StringComparer.Ordinal).ToList();
        if (stsReporters.Count < rules.MinReporters)
        {
            reasons.Add(new Reason("reporters", Severity.Insufficient,
                $"{stsReporters.Count} reporters sent sts results for the current policy on at least {rules.MinReporterDays} days; {rules.MinReporters} are needed.",
                Ev(("reporters", string.Join(",", stsReporters)), ("silent-on-sts", string.Join(",", silent)), ("too-few-days", string.Join(",", occasional)))));
        }

        var sessions = current.Sum(r => r.Successes + r.Failures);
        var failed = current.Sum(r => r.Failures);
        if (sessions > 0 && (double)failed / sessions > rules.MaxFailureRate)
        {
            reasons.Add(new Reason("failure-rate", Severity.Warning,
                $"{failed} of {sessions} sessions failed ({Percent((double)failed / sessions)}, above {Percent(rules.MaxFailureRate)}).",
                Ev(("failures", failed.ToString(CultureInfo.InvariantCulture)), ("sessions", sessions.ToString(CultureInfo.InvariantCulture)))));
        }

        if (sessions < rules.MinSessions)
        {
            reasons.Add(new Reason("sessions", Severity.Insufficient,
                $"{sessions} sessions were reported under the current policy; {rules.MinSessions} are needed.",
                Ev(("sessions", sessions.ToString(CultureInfo.InvariantCulture)))));
        }

        // Failures count against the policy they were seen under (an MX removed with a policy
        // change takes its failures with it); policy fetch failures count from the current
        // policy's first report on, whatever policy the reporter then applied.
        var sinceCurrent = firstDay is { } since ? window.Where(r => r.Day >= since).ToList() : window;
        CheckFailures(policy, current, sinceCurrent, rules, reasons);
        reasons.Add(Evidence(current, stsReporters, sessions, failed));

        var verdict = reasons.Any(r => r.Severity == Severity.Blocking) ? Verdict.NotReady
            : reasons.Any(r => r.Severity == Severity.Insufficient) ? Verdict.InsufficientData
            : Verdict.Ready;
        return verdict == Verdict.Ready
            ? Result(verdict, policy.Mode, reasons, Render(policy with { Mode = StsPolicyMode.Enforce }), StsRecord.Next(now, live.Record?.Id).Id)
            : Result(verdict, policy.Mode, reasons, null, null);
    }

    private static ReadinessResult EvaluateEnforce(StsPolicy policy, string? liveId, IReadOnlyList<ReportDay> reports, ReadinessRules rules, DateOnly today, DateTimeOffset now, List<Reason> reasons)
    {
        var recent = reports.Where(r => r.Day >= today.AddDays(-rules.RecentDays) && r.Day < today).ToList();
        var sessions = recent.Sum(r => r.Successes + r.Failures);
        var refused = recent.Sum(r => r.FailuresByResultType.Where(f => EnforceBlocking.Contains(f.Key)).Sum(f => f.Value));
        var rate = sessions == 0 ? 0 : (double)refused / sessions;
        if (rate > rules.RollBackFailureRate)
        {
            reasons.Add(new Reason("failures-rising", Severity.Blocking,
                $"{refused} of {sessions} sessions over the last {rules.RecentDays} days failed in ways enforce refuses ({Percent(rate)}, above {Percent(rules.RollBackFailureRate)}).",
                Ev(("refused", refused.ToString(CultureInfo.InvariantCulture)), ("sessions", sessions.ToString(CultureInfo.InvariantCulture)),
                    ("by-mx", Breakdown(recent.SelectMany(r => r.FailuresByMxHost))))));
        }
        else if (sessions == 0)
        {
            reasons.Add(new Reason("no-recent-reports", Severity.Warning, $"No reports for the last {rules.RecentDays} days: nothing shows mail is refused, nor that it is not.", Empty));
        }

        // Live problems under enforce mean mail is refused now.
        return reasons.Any(r => r.Severity == Severity.Blocking)
            ? Result(Verdict.RollBack, policy.Mode, reasons, Render(policy with { Mode = StsPolicyMode.Testing }), StsRecord.Next(now, liveId).Id)
            : Result(Verdict.Keep, policy.Mode, reasons, null, null);
    }

    private static void CheckLive(LiveFindings live, ReadinessRules rules, List<Reason> reasons)
    {
        if (live.Record is null)
        {
            reasons.Add(new Reason("sts-record", Severity.Blocking, "The _mta-sts TXT record is unusable: " + live.RecordError, Empty));
        }

        if (live.Policy is null)
        {
            reasons.Add(new Reason("policy-fetch", Severity.Blocking, "The policy could not be fetched or read: " + live.PolicyError, Empty));
        }

        // RFC 8461 §5: mode none asks senders to apply nothing, so its mx lines (if any) do not matter.
        var uncovered = live.Policy is null || live.Policy.Mode == StsPolicyMode.None ? [] : live.MxHosts.Where(h => !live.Policy.Covers(h)).ToList();
        if (uncovered.Count > 0)
        {
            reasons.Add(new Reason("mx-not-covered", Severity.Blocking,
                "MX hosts in DNS that no mx line of the policy matches: senders in enforce would not deliver to them.", Ev(("mx", string.Join(",", uncovered)))));
        }

        if (live.PolicyCertificateDaysLeft is { } policyDays and >= 0 && policyDays < rules.MinCertificateDaysLeft)
        {
            reasons.Add(new Reason("policy-certificate-expiring", Severity.Warning,
                $"The policy host's certificate expires in {policyDays} days: once it has, senders cannot fetch the policy (sts-webpki-invalid).",
                Ev(("days", policyDays.ToString(CultureInfo.InvariantCulture)))));
        }

        foreach (var p in live.Probes)
        {
            CheckProbe(p, rules, reasons);
        }
    }

    private static void CheckProbe(MxProbe p, ReadinessRules rules, List<Reason> reasons)
    {
        var evidence = Ev(("mx", p.Host), ("address", p.Address ?? "none"));
        var detail = p.Error is null ? string.Empty : ": " + p.Error.TrimEnd('.');
        switch (p.Status)
        {
            case ProbeStatus.NoAddress:
                // Senders skip an MX without an address in any mode: a DNS mistake, not an MTA-STS risk.
                reasons.Add(new Reason("mx-no-address", Severity.Warning, $"{p.Host} has no address{detail}; senders skip it.", evidence));
                return;
            case ProbeStatus.Unreachable:
                // Not reached is not checked: whether enforce would refuse it is unknown.
                reasons.Add(new Reason("mx-unreachable", Severity.Insufficient,
                    $"{p.Where} could not be reached from here{detail}; its STARTTLS and certificate were not checked (outbound port 25 may be closed on this host).", evidence));
                return;
            case ProbeStatus.StartTlsNotOffered:
                reasons.Add(new Reason("starttls-missing", Severity.Blocking, $"{p.Where} does not offer STARTTLS{detail}.", evidence));
                return;
            case ProbeStatus.TlsFailed:
                reasons.Add(new Reason("starttls-failed", Severity.Blocking, $"{p.Where} offers STARTTLS but the TLS handshake failed{detail}.", evidence));
                return;
        }

        // Expiry first: an expired certificate also fails chain validation, and "expired" is the useful word.
        var problem = p.DaysUntilExpiry is < 0 ? ("certificate-expired", $"presents a certificate that expired {Days(-p.DaysUntilExpiry.Value)} ago")
            : !p.NameMatches ? ("certificate-name", "presents a certificate for another name")
            : !p.CertificateTrusted ? ("certificate-not-trusted", "presents a certificate that does not validate")
            : ((string, string)?)null;
        if (problem is { } found)
        {
            reasons.Add(new Reason(found.Item1, Severity.Blocking, $"{p.Where} {found.Item2}{detail}.", evidence));
        }
        else if (p.DaysUntilExpiry is { } days && days < rules.MinCertificateDaysLeft)
        {
            evidence["days"] = days.ToString(CultureInfo.InvariantCulture);
            reasons.Add(new Reason("certificate-expiring", Severity.Warning, $"{p.Where}'s certificate expires in {Days(days)}.", evidence));
        }
    }

    /// <summary>"1 day", "5 days".</summary>
    public static string Days(int count) => count == 1 ? "1 day" : $"{count.ToString(CultureInfo.InvariantCulture)} days";

    /// <summary>What the verdict rests on, for the change ticket: the same figures for every verdict, READY included.</summary>
    private static Reason Evidence(List<ReportDay> current, List<string> reporters, long sessions, long failed)
    {
        var days = current.Select(r => r.Day).Distinct().ToList();
        var verified = current.Where(r => r.Verified).Sum(r => r.Successes + r.Failures);
        return new Reason("evidence", Severity.Info,
            $"{sessions} sessions ({failed} failed) reported under the current policy on {days.Count} days by {reporters.Count} reporters; " +
            $"{verified} of them in verified reports (DKIM pass or imported by an admin).",
            Ev(("days-covered", days.Count.ToString(CultureInfo.InvariantCulture)),
               ("first-day", days.Count == 0 ? "none" : Day(days.Min())), ("last-day", days.Count == 0 ? "none" : Day(days.Max())),
               ("reporters", string.Join(",", reporters)), ("sessions", sessions.ToString(CultureInfo.InvariantCulture)),
               ("failures", failed.ToString(CultureInfo.InvariantCulture)), ("verified-sessions", verified.ToString(CultureInfo.InvariantCulture)),
               ("verified-share", sessions == 0 ? "0" : ((double)verified / sessions).ToString("0.####", CultureInfo.InvariantCulture))));
    }

    private static void CheckFailures(StsPolicy policy, List<ReportDay> current, List<ReportDay> sinceCurrent, ReadinessRules rules, List<Reason> reasons)
    {
        var byType = current.SelectMany(r => r.FailuresByResultType).GroupBy(f => f.Key).ToDictionary(g => g.Key, g => g.Sum(f => f.Value), StringComparer.Ordinal);
        var refused = byType.Where(f => EnforceBlocking.Contains(f.Key)).Sum(f => f.Value);
        if (refused > rules.MaxEnforceBlockingFailures)
        {
            var failing = current.Where(r => r.FailuresByResultType.Keys.Any(EnforceBlocking.Contains)).ToList();
            reasons.Add(new Reason("enforce-would-block", Severity.Blocking,
                $"{refused} sessions failed in ways enforce would refuse; at most {rules.MaxEnforceBlockingFailures} are allowed.",
                Ev(("by-result-type", Breakdown(byType.Where(f => EnforceBlocking.Contains(f.Key)))),
                   // The MX hosts of the reports that had such failures (a report day's failures per MX are not split by type).
                   ("by-mx", Breakdown(failing.SelectMany(r => r.FailuresByMxHost))),
                   ("reporters", string.Join(",", failing.Select(r => r.Organization).Distinct().Order(StringComparer.Ordinal))),
                   // Still failing, or fixed? The first and last day answer that.
                   ("first-day", Day(failing.Min(r => r.Day))), ("last-day", Day(failing.Max(r => r.Day))))));
        }

        var fetchByType = sinceCurrent.SelectMany(r => r.FailuresByResultType).Where(f => f.Key.StartsWith("sts-", StringComparison.Ordinal)).ToList();
        var fetchFailures = fetchByType.Sum(f => f.Value);
        if (fetchFailures > rules.MaxPolicyFetchFailures)
        {
            var failing = sinceCurrent.Where(r => r.FailuresByResultType.Keys.Any(k => k.StartsWith("sts-", StringComparison.Ordinal))).ToList();
            reasons.Add(new Reason("policy-host", Severity.Blocking,
                $"Reporters failed to fetch or read the policy {fetchFailures} times: fix the policy host first.",
                Ev(("by-result-type", Breakdown(fetchByType)), ("first-day", Day(failing.Min(r => r.Day))), ("last-day", Day(failing.Max(r => r.Day))))));
        }

        var seenUncovered = current.SelectMany(r => r.FailuresByMxHost.Keys).Distinct(StringComparer.OrdinalIgnoreCase)
            .Where(h => h.Length > 0 && !policy.Covers(h)).Order(StringComparer.Ordinal).ToList();
        if (seenUncovered.Count > 0)
        {
            reasons.Add(new Reason("mx-seen-not-covered", Severity.Blocking,
                "Reporters delivered to MX hosts that no mx line of the policy matches.", Ev(("mx", string.Join(",", seenUncovered)))));
        }
    }

    /// <summary>Same mode and the same mx patterns: the lines reporters saw describe the policy in force.</summary>
    private static bool SamePolicy(IReadOnlyList<string> lines, StsPolicy policy)
    {
        var parsed = StsPolicy.Parse(string.Join('\n', lines.Select(l => l.TrimEnd('\r'))));
        return parsed.IsValid && parsed.Policy.Mode == policy.Mode
            && parsed.Policy.Mx.Select(m => m.Value).Order(StringComparer.Ordinal).SequenceEqual(policy.Mx.Select(m => m.Value).Order(StringComparer.Ordinal));
    }

    private static string Render(StsPolicy policy) => string.Join("\n", policy.ToPolicyStrings()) + "\n";

    private static string Breakdown(IEnumerable<KeyValuePair<string, long>> counts) =>
        string.Join(",", counts.GroupBy(c => c.Key.Length == 0 ? "(none)" : c.Key).Select(g => (g.Key, Sum: g.Sum(c => c.Value))).OrderByDescending(x => x.Sum).ThenBy(x => x.Key, StringComparer.Ordinal).Select(x => $"{x.Key}={x.Sum}"));

    /// <summary>"2.20%", whatever the host's culture.</summary>
    private static string Percent(double share) => (share * 100).ToString("0.00", CultureInfo.InvariantCulture) + "%";

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();

    private static Dictionary<string, string> Ev(params (string Key, string Value)[] items) => items.ToDictionary(i => i.Key, i => i.Value, StringComparer.Ordinal);

    private static ReadinessResult Result(Verdict verdict, StsPolicyMode? mode, List<Reason> reasons, string? text, string? id) =>
        new(verdict, mode, reasons.OrderByDescending(r => r.Severity).ToList(), text, id);
}
