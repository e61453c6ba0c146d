using System.CommandLine;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Hosting;

namespace MtaStsReporting.Daemon.Readiness;

/// <summary>
/// <c>mtasts-reporting readiness DOMAIN</c> and <c>mtasts-reporting check DOMAIN</c>, for admins
/// and automation: they ask a running daemon's gRPC API and print its answer (a table, or JSON
/// with <c>--json</c>). Exit codes: 0 ready (or keep; for check: nothing blocking), 1 not ready
/// or roll back (for check: something blocking), 2 insufficient data or no answer.
/// </summary>
public static class ReadinessCommands
{
    /// <summary>The two commands.</summary>
    public static IEnumerable<Command> All(TextWriter output, TextWriter error)
    {
        yield return Check(output, error);
        yield return Readiness(output, error);
    }

    private static Command Check(TextWriter output, TextWriter error)
    {
        var connection = new DaemonConnection();
        var domain = new Argument<string>("DOMAIN") { Description = "the domain to check" };
        var command = connection.With(new Command("check", "Check a domain's MTA-STS and TLS-RPT set-up live: DNS records, the policy file, its MX hosts and their STARTTLS certificates. Exit 1 when something blocks.")
        {
            domain,
        });
        command.SetAction((parsed, cancellationToken) => connection.CallAsync(parsed, error, async (invoker, headers) =>
        {
            var check = await new Api.V1.Readiness.ReadinessClient(invoker).CheckDomainAsync(new CheckDomainRequest { Domain = parsed.GetValue(domain)! }, headers, cancellationToken: cancellationToken);
            if (parsed.GetValue(connection.Json))
            {
                await output.WriteLineAsync(DaemonConnection.Format(check));
            }
            else
            {
                WriteFindings(output, check);
            }

            return check.Blocking ? 1 : 0;
        }));
        return command;
    }

    private static Command Readiness(TextWriter output, TextWriter error)
    {
        var connection = new DaemonConnection();
        var domain = new Argument<string>("DOMAIN") { Description = "the domain to judge" };
        var apply = new Option<bool>("--apply")
        {
            Description = "take the step the verdict allows, for a policy the daemon serves: READY in testing -> enforce, ROLL_BACK in enforce -> testing; "
                + "then wait for the live check to confirm it. Exit 0 done or nothing to do, 1 refused or failed (the old policy stays in force), 3 not yet confirmed",
        };
        var dryRun = new Option<bool>("--dry-run") { Description = "with --apply: say what the step would change; change nothing" };
        var reason = PolicyHosting.PolicyCommands.ReasonOption();
        var wait = PolicyHosting.PolicyCommands.WaitOption();
        var command = connection.With(new Command("readiness", "Whether a domain can move its MTA-STS policy from testing to enforce (or should roll back), with the reasons and the next policy. Exit 0 READY or KEEP, 1 NOT_READY or ROLL_BACK, 2 INSUFFICIENT_DATA.")
        {
            domain, apply, dryRun, reason, wait,
        });
        command.Validators.Add(result =>
        {
            if (result.GetValue(dryRun) && !result.GetValue(apply))
            {
                result.AddError("--dry-run goes with --apply");
            }
        });
        command.SetAction((parsed, cancellationToken) => connection.CallAsync(parsed, error, async (invoker, headers) =>
        {
            if (parsed.GetValue(apply))
            {
                var json = parsed.GetValue(connection.Json);
                var waitFor = PolicyHosting.PolicyCommands.Wait(parsed, wait);
                var policies = new Policies.PoliciesClient(invoker);
                var change = await policies.ApplyReadinessAsync(
                    new ApplyReadinessRequest { Domain = parsed.GetValue(domain)!, DryRun = parsed.GetValue(dryRun), Reason = parsed.GetValue(reason)! },
                    headers, cancellationToken: cancellationToken);
                if (!json && change.Verdict is { } judged)
                {
                    WriteVerdict(output, judged, next: false);
                    output.WriteLine();
                }

                return await PolicyHosting.PolicyCommands.FinishAsync(policies, headers, change, json, waitFor, output, cancellationToken);
            }

            var verdict = await new Api.V1.Readiness.ReadinessClient(invoker).GetReadinessAsync(new CheckDomainRequest { Domain = parsed.GetValue(domain)! }, headers, cancellationToken: cancellationToken);
            if (parsed.GetValue(connection.Json))
            {
                await output.WriteLineAsync(DaemonConnection.Format(verdict));
            }
            else
            {
                WriteVerdict(output, verdict);
            }

            return verdict.Verdict switch
            {
                ReadinessOutcome.Ready or ReadinessOutcome.Keep => 0,
                ReadinessOutcome.NotReady or ReadinessOutcome.RollBack => 1,
                _ => 2,
            };
        }));
        return command;
    }

    /// <summary>The verdict's name as the README and the dashboard write it: READY, NOT_READY…</summary>
    public static string Name(ReadinessOutcome outcome) => outcome switch
    {
        ReadinessOutcome.Ready => "READY",
        ReadinessOutcome.NotReady => "NOT_READY",
        ReadinessOutcome.InsufficientData => "INSUFFICIENT_DATA",
        ReadinessOutcome.Keep => "KEEP",
        ReadinessOutcome.RollBack => "ROLL_BACK",
        _ => "UNSPECIFIED",
    };

    /// <summary>A finding's or reason's severity in lower case.</summary>
    public static string Name(FindingSeverity severity) => severity switch
    {
        FindingSeverity.Info => "info",
        FindingSeverity.Warning => "warning",
        FindingSeverity.Insufficient => "insufficient",
        FindingSeverity.Blocking => "blocking",
        _ => "",
    };

    private static void WriteVerdict(TextWriter output, ReadinessVerdict verdict, bool next = true)
    {
        var head = new TextTable("DOMAIN", "VERDICT", "MODE", "EVALUATED");
        head.Add(verdict.Domain, Name(verdict.Verdict), verdict.Mode, verdict.EvaluatedAt);
        head.WriteTo(output);
        output.WriteLine();
        var reasons = new TextTable("SEVERITY", "REASON", "MESSAGE");
        foreach (var r in verdict.Reasons)
        {
            reasons.Add(Name(r.Severity), r.Code, r.Message);
        }

        reasons.WriteTo(output);
        if (next && verdict.NextPolicyText.Length > 0)
        {
            output.WriteLine();
            output.WriteLine($"Next policy (publish _mta-sts.{verdict.Domain} TXT \"v=STSv1; id={verdict.NextId}\" with it):");
            output.WriteLine(verdict.NextPolicyText.TrimEnd());
        }
    }

    private static void WriteFindings(TextWriter output, DomainCheckResult check)
    {
        var findings = new TextTable("SEVERITY", "CHECK", "SUBJECT", "MESSAGE");
        foreach (var f in check.Findings)
        {
            findings.Add(Name(f.Severity), f.Check, f.Subject, f.Message);
        }

        findings.WriteTo(output);
        output.WriteLine();
        output.WriteLine(check.Blocking ? $"{check.Domain}: blocking findings" : $"{check.Domain}: nothing blocking");
    }
}
