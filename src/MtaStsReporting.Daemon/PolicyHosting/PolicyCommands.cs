using System.CommandLine;
using Grpc.Core;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Hosting;
using MtaStsReporting.Daemon.Readiness;

namespace MtaStsReporting.Daemon.PolicyHosting;

/// <summary>
/// <c>mtasts-reporting policy list|show|history|set|confirm</c>, and the step of
/// <c>readiness DOMAIN --apply</c>: they ask a running daemon's policies API (admin) and print
/// its answer (tables, or JSON with <c>--json</c>). A change that is served is then confirmed by
/// the live check, polled until <c>--wait</c> runs out. Exit codes of a change: 0 done and
/// confirmed, or nothing to do; 1 refused, or failed half-way (the version before stays in
/// force); 2 no answer or a bad request; 3 served, but the record not yet seen within --wait.
/// </summary>
public static class PolicyCommands
{
    /// <summary>Exit code of a change served whose record was not seen within <c>--wait</c>.</summary>
    public const int NotYetConfirmed = 3;

    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);

    /// <summary>The <c>policy</c> command and its subcommands.</summary>
    public static Command Build(TextWriter output, TextWriter error) =>
        new("policy", "Our own MTA-STS policies, served at mta-sts.<domain> (PolicyHosting): list, show, history, set, confirm.")
        {
            List(output, error), Show(output, error), History(output, error), Set(output, error), Confirm(output, error),
        };

    /// <summary>How long to poll the live check for the new record: <c>--wait 5m</c>.</summary>
    public static Option<string> WaitOption() => new("--wait")
    {
        Description = "how long to wait for DNS to give the new id and the new policy to be fetched (500ms, 30s, 5m, 1h; 0: do not wait)",
        DefaultValueFactory = _ => "5m",
        HelpName = "DURATION",
    };

    /// <summary>The reason recorded with the change.</summary>
    public static Option<string> ReasonOption() => new("--reason") { Description = "why, recorded with the change", DefaultValueFactory = _ => string.Empty, HelpName = "TEXT" };

    private static Command List(TextWriter output, TextWriter error)
    {
        var connection = new DaemonConnection();
        var command = connection.With(new Command("list", "The domains whose policy the daemon serves, with the version served."));
        command.SetAction((parsed, cancellationToken) => connection.CallAsync(parsed, error, async (invoker, headers) =>
        {
            var list = await new Policies.PoliciesClient(invoker).ListPoliciesAsync(new ListPoliciesRequest(), headers, cancellationToken: cancellationToken);
            if (parsed.GetValue(connection.Json))
            {
                await output.WriteLineAsync(DaemonConnection.Format(list));
                return 0;
            }

            if (list.Policies.Count == 0)
            {
                await output.WriteLineAsync("No policy is served: add one with 'policy set DOMAIN --mode testing --mx HOST' or PolicyHosting:Domains.");
                return 0;
            }

            var table = new TextTable("DOMAIN", "VERSION", "MODE", "ID", "STATE", "MX", "MAX_AGE");
            foreach (var p in list.Policies)
            {
                table.Add(p.Domain, p.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), p.Mode, p.Id, State(p.State), string.Join(" ", p.Mx),
                    p.MaxAge.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            table.WriteTo(output);
            return 0;
        }));
        return command;
    }

    private static Command Show(TextWriter output, TextWriter error)
    {
        var connection = new DaemonConnection();
        var domain = new Argument<string>("DOMAIN") { Description = "the policy domain" };
        var command = connection.With(new Command("show", "The policy served for a domain: its file, its id and the TXT record that goes with it. Exit 1 when none is served.") { domain });
        command.SetAction((parsed, cancellationToken) => connection.CallAsync(parsed, error, async (invoker, headers) =>
        {
            var p = await new Policies.PoliciesClient(invoker).GetPolicyAsync(new GetPolicyRequest { Domain = parsed.GetValue(domain)! }, headers, cancellationToken: cancellationToken);
            if (parsed.GetValue(connection.Json))
            {
                await output.WriteLineAsync(DaemonConnection.Format(p));
                return 0;
            }

            await output.WriteLineAsync($"{p.Domain}: version {p.Version}, {State(p.State)}, made {p.CreatedAt} by {p.Actor} ({p.Origin})");
            await output.WriteLineAsync($"https://mta-sts.{p.Domain}/.well-known/mta-sts.txt:");
            await output.WriteLineAsync(p.PolicyText.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd());
            await output.WriteLineAsync($"DNS: {p.TxtRecord}");
            if (p.Outcome.Length > 0)
            {
                await output.WriteLineAsync(p.Outcome);
            }

            return 0;
        }));
        return command;
    }

    private static Command History(TextWriter output, TextWriter error)
    {
        var connection = new DaemonConnection();
        var domain = new Argument<string>("DOMAIN") { Description = "the policy domain" };
        var command = connection.With(new Command("history", "Every version of a domain's policy, newest first: who, when, why, the verdict it rested on, and what became of it.") { domain });
        command.SetAction((parsed, cancellationToken) => connection.CallAsync(parsed, error, async (invoker, headers) =>
        {
            var history = await new Policies.PoliciesClient(invoker).GetPolicyHistoryAsync(new GetPolicyRequest { Domain = parsed.GetValue(domain)! }, headers, cancellationToken: cancellationToken);
            if (parsed.GetValue(connection.Json))
            {
                await output.WriteLineAsync(DaemonConnection.Format(history));
                return 0;
            }

            var table = new TextTable("VERSION", "MADE", "MODE", "ID", "STATE", "BY", "ORIGIN", "VERDICT", "FORCED", "OUTCOME");
            foreach (var v in history.Versions)
            {
                table.Add((v.Served ? "*" : string.Empty) + v.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), v.CreatedAt, v.Mode, v.Id, State(v.State), v.Actor, v.Origin,
                    v.Verdict == ReadinessOutcome.Unspecified ? "-" : ReadinessCommands.Name(v.Verdict), v.Forced ? "yes" : "no", v.Outcome);
            }

            table.WriteTo(output);
            await output.WriteLineAsync("* the version served now");
            return 0;
        }));
        return command;
    }

    private static Command Set(TextWriter output, TextWriter error)
    {
        var connection = new DaemonConnection();
        var domain = new Argument<string>("DOMAIN") { Description = "the policy domain (added when not served yet)" };
        var mode = new Option<string?>("--mode") { Description = "enforce, testing or none (default: kept; testing for a new domain)", HelpName = "MODE" };
        mode.AcceptOnlyFromAmong("enforce", "testing", "none");
        var mx = new Option<string[]>("--mx") { Description = "an mx pattern (mx1.example.com, *.mail.example.com); repeat for each (default: kept)", HelpName = "PATTERN", AllowMultipleArgumentsPerToken = false };
        var maxAge = new Option<long?>("--max-age") { Description = "seconds senders may cache the policy, at most 31557600 (default: kept; a week for a new domain)", HelpName = "SECONDS" };
        var force = new Option<bool>("--force") { Description = "make the change even when it would break delivery; the refusals overridden are recorded" };
        var dryRun = new Option<bool>("--dry-run") { Description = "say what would change; change nothing" };
        var reason = ReasonOption();
        var wait = WaitOption();
        var command = connection.With(new Command("set", "Set a domain's policy: a new version with a new id, served at once; the _mta-sts record is updated through RFC 2136 when PolicyHosting:DnsUpdate is set, else printed for you to publish. "
            + "Refused when the mx lines miss a live MX host, or for enforce while readiness is not READY (unless --force). Exit 0 done, 1 refused or failed, 3 not yet confirmed.")
        {
            domain, mode, mx, maxAge, force, dryRun, reason, wait,
        });
        command.SetAction((parsed, cancellationToken) => connection.CallAsync(parsed, error, async (invoker, headers) =>
        {
            var waitFor = Wait(parsed, wait);
            var request = new SetPolicyRequest
            {
                Domain = parsed.GetValue(domain)!, Mode = parsed.GetValue(mode) ?? string.Empty, Force = parsed.GetValue(force), DryRun = parsed.GetValue(dryRun),
                Reason = parsed.GetValue(reason)!,
            };
            request.Mx.AddRange(parsed.GetValue(mx) ?? []);
            if (parsed.GetValue(maxAge) is { } age)
            {
                request.MaxAge = age;
            }

            var client = new Policies.PoliciesClient(invoker);
            var change = await client.SetPolicyAsync(request, headers, cancellationToken: cancellationToken);
            return await FinishAsync(client, headers, change, parsed.GetValue(connection.Json), waitFor, output, cancellationToken);
        }));
        return command;
    }

    private static Command Confirm(TextWriter output, TextWriter error)
    {
        var connection = new DaemonConnection();
        var domain = new Argument<string>("DOMAIN") { Description = "the policy domain" };
        var wait = WaitOption();
        var command = connection.With(new Command("confirm", "Check, with the live check, that DNS gives the id of the version served and that the policy fetched is that version; recorded when so. Exit 0 confirmed, 3 not within --wait.")
        {
            domain, wait,
        });
        command.SetAction((parsed, cancellationToken) => connection.CallAsync(parsed, error, async (invoker, headers) =>
        {
            var confirmation = await PollAsync(new Policies.PoliciesClient(invoker), headers, parsed.GetValue(domain)!, Wait(parsed, wait),
                parsed.GetValue(connection.Json) ? TextWriter.Null : output, cancellationToken);
            if (parsed.GetValue(connection.Json))
            {
                await output.WriteLineAsync(DaemonConnection.Format(confirmation));
            }

            return confirmation.Confirmed ? 0 : NotYetConfirmed;
        }));
        return command;
    }

    /// <summary>Prints a change, then, when it was served, polls the live check until confirmed or <paramref name="wait"/> runs out; the exit code.</summary>
    public static async Task<int> FinishAsync(Policies.PoliciesClient client, Metadata? headers, PolicyChange change, bool json, TimeSpan wait, TextWriter output, CancellationToken cancellationToken)
    {
        if (!json)
        {
            WriteChange(output, change);
        }

        PolicyConfirmation? confirmation = null;
        if (change.Outcome == ChangeOutcome.Changed)
        {
            confirmation = await PollAsync(client, headers, change.Domain, wait, json ? TextWriter.Null : output, cancellationToken);
        }

        if (json)
        {
            await output.WriteLineAsync(DaemonConnection.Format(change));
            if (confirmation is not null)
            {
                await output.WriteLineAsync(DaemonConnection.Format(confirmation));
            }
        }

        return change.Outcome switch
        {
            ChangeOutcome.Changed => confirmation!.Confirmed ? 0 : NotYetConfirmed,
            ChangeOutcome.Refused or ChangeOutcome.Failed => 1,
            _ => 0,
        };
    }

    private static async Task<PolicyConfirmation> PollAsync(Policies.PoliciesClient client, Metadata? headers, string domain, TimeSpan wait, TextWriter output, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + wait;
        string? said = null;
        while (true)
        {
            var confirmation = await client.ConfirmPolicyAsync(new GetPolicyRequest { Domain = domain }, headers, cancellationToken: cancellationToken);
            if (confirmation.Confirmed)
            {
                await output.WriteLineAsync(confirmation.Message);
                return confirmation;
            }

            if (confirmation.Message != said)
            {
                // Said once while it stays the same: a long wait is not a screenful of the same line.
                await output.WriteLineAsync(confirmation.Message);
                said = confirmation.Message;
            }

            if (DateTimeOffset.UtcNow + PollInterval > deadline)
            {
                await output.WriteLineAsync((wait == TimeSpan.Zero ? "Not confirmed yet" : $"Not confirmed within {wait}")
                    + $": the version is served; run 'mtasts-reporting policy confirm {domain}' once the record is published.");
                return confirmation;
            }

            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    /// <summary>A change as a few lines: what it did, the steps, the refusals, the policy.</summary>
    public static void WriteChange(TextWriter output, PolicyChange change)
    {
        var table = new TextTable("DOMAIN", "OUTCOME", "FROM", "TO");
        table.Add(change.Domain, Outcome(change.Outcome), Describe(change.Before), Describe(change.After));
        table.WriteTo(output);
        output.WriteLine(change.Message);
        if (change.Refusals.Count > 0)
        {
            output.WriteLine();
            var refusals = new TextTable(change.Outcome == ChangeOutcome.Refused ? "REFUSED" : "FORCED", "WHY");
            foreach (var r in change.Refusals)
            {
                refusals.Add(r.Code, r.Message);
            }

            refusals.WriteTo(output);
        }

        if (change.Steps.Count > 0 && change.Outcome is not ChangeOutcome.Refused)
        {
            output.WriteLine();
            output.WriteLine(change.Outcome == ChangeOutcome.DryRun ? "Would:" : "Steps:");
            for (var i = 0; i < change.Steps.Count; i++)
            {
                output.WriteLine($"  {i + 1}. {change.Steps[i]}");
            }
        }

        if (change.After is { } after && change.Outcome is ChangeOutcome.DryRun or ChangeOutcome.Changed)
        {
            output.WriteLine();
            output.WriteLine($"https://mta-sts.{change.Domain}/.well-known/mta-sts.txt, version {after.Version}:");
            output.WriteLine(after.PolicyText.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd());
            output.WriteLine($"DNS: {after.TxtRecord}");
        }
    }

    /// <summary>The <c>--wait</c> duration given.</summary>
    public static TimeSpan Wait(ParseResult parsed, Option<string> wait)
    {
        var text = parsed.GetValue(wait)!;
        return text == "0" ? TimeSpan.Zero
            : SettingShorthands.ParseShorthand(text) ?? (TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var t) ? t
            : throw new ArgumentException($"--wait '{text}' is not a duration (500ms, 30s, 5m, 1h, or 00:05:00)"));
    }

    private static string Describe(PolicyVersion? v) => v is null ? "-" : $"v{v.Version} {v.Mode} id={v.Id}";

    private static string Outcome(ChangeOutcome outcome) => outcome switch
    {
        ChangeOutcome.Changed => "CHANGED",
        ChangeOutcome.Unchanged => "UNCHANGED",
        ChangeOutcome.Refused => "REFUSED",
        ChangeOutcome.Failed => "FAILED",
        ChangeOutcome.DryRun => "DRY_RUN",
        _ => "UNSPECIFIED",
    };

    private static string State(Api.V1.PolicyState state) => state switch
    {
        Api.V1.PolicyState.Served => "served",
        Api.V1.PolicyState.Confirmed => "confirmed",
        Api.V1.PolicyState.Failed => "failed",
        _ => "",
    };
}
