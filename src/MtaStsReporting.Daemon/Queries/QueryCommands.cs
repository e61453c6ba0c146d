using System.CommandLine;
using Grpc.Core;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Hosting;

namespace MtaStsReporting.Daemon.Queries;

/// <summary>
/// The admins' commands over the query API of a running daemon: <c>domains</c>,
/// <c>summary</c>, <c>trend</c>, <c>breakdown</c>, <c>reports</c> and <c>report</c>. Each
/// prints an aligned table, or the API's answer as JSON with <c>--json</c>.
/// </summary>
public static class QueryCommands
{
    private static readonly string[] Directions = ["both", "outbound", "inbound"];

    /// <summary>The commands, each with its options and the connection options.</summary>
    public static IEnumerable<Command> All(TextWriter output, TextWriter error)
    {
        yield return DomainsCommand(output, error);
        yield return SummaryCommand(output, error);
        yield return TrendCommand(output, error);
        yield return BreakdownCommand(output, error);
        yield return ReportsCommand(output, error);
        yield return ReportCommand(output, error);
    }

    private static Option<string?> From() => new("--from") { Description = "first day, YYYY-MM-DD (default: 30 days before --to)", HelpName = "DAY" };

    private static Option<string?> To() => new("--to") { Description = "last day, YYYY-MM-DD (default: today, UTC)", HelpName = "DAY" };

    private static Option<string> DirectionOption()
    {
        var option = new Option<string>("--direction")
        {
            Description = "outbound: what our relays saw sending to others; inbound: what reporters told us about our domains",
            DefaultValueFactory = _ => "both",
        };
        option.AcceptOnlyFromAmong(Directions);
        return option;
    }

    private static Argument<string> DomainArgument() => new("DOMAIN") { Description = "the policy domain" };

    private static Direction ToDirection(string? name) => name switch
    {
        "outbound" => Direction.Outbound,
        "inbound" => Direction.Inbound,
        _ => Direction.Unspecified,
    };

    private static string Name(Direction direction) => direction switch
    {
        Direction.Outbound => "outbound",
        Direction.Inbound => "inbound",
        _ => "both",
    };

    private static DayRange Range(ParseResult parsed, Option<string?> from, Option<string?> to) =>
        new() { StartDay = parsed.GetValue(from) ?? "", EndDay = parsed.GetValue(to) ?? "" };

    private static Command DomainsCommand(TextWriter output, TextWriter error)
    {
        var connection = new DaemonConnection();
        var (from, to, direction) = (From(), To(), DirectionOption());
        var mode = new Option<string?>("--mode") { Description = "only sessions under policies of this mode" };
        mode.AcceptOnlyFromAmong("enforce", "testing", "none");
        var sort = new Option<string>("--sort") { Description = "rate: highest failure rate first; volume: most sessions first", DefaultValueFactory = _ => "rate" };
        sort.AcceptOnlyFromAmong("rate", "volume");
        var limit = new Option<int>("--limit") { Description = "at most this many domains (1 to 1000)", DefaultValueFactory = _ => 50 };
        var command = connection.With(new Command("domains", "List domains with sessions, failures and failure rate over a range of days.")
        {
            from, to, direction, mode, sort, limit,
        });
        command.SetAction((parsed, cancellationToken) => connection.CallAsync(parsed, error, async (invoker, headers) =>
        {
            var request = new ListDomainsRequest
            {
                Range = Range(parsed, from, to),
                Direction = ToDirection(parsed.GetValue(direction)),
                PolicyMode = parsed.GetValue(mode) ?? "",
                Sort = parsed.GetValue(sort) == "volume" ? ListDomainsRequest.Types.Sort.Volume : ListDomainsRequest.Types.Sort.FailureRate,
                PageSize = parsed.GetValue(limit),
            };
            var answer = await new Query.QueryClient(invoker).ListDomainsAsync(request, headers, cancellationToken: cancellationToken);
            if (parsed.GetValue(connection.Json))
            {
                await output.WriteLineAsync(DaemonConnection.Format(answer));
                return 0;
            }

            if (answer.Domains.Count == 0)
            {
                await output.WriteLineAsync(NothingInRange(parsed.GetValue(from), parsed.GetValue(to), answer));
                return 0;
            }

            var table = new TextTable("DOMAIN", "DIRECTION", "SESSIONS", "FAILURES", "FAILURE RATE").RightAligned(2, 3, 4);
            foreach (var d in answer.Domains)
            {
                table.Add(d.Domain, Name(d.Direction), d.Sessions, d.Failures, d.FailureRate);
            }

            table.WriteTo(output);
            if (answer.NextPageToken.Length > 0)
            {
                await output.WriteLineAsync($"(more domains than --limit {request.PageSize})");
            }

            return 0;
        }));
        return command;
    }

    /// <summary>
    /// What an empty list says: the range looked at, and where the data is when there is some
    /// (reports imported from last year are not in the default 30 days).
    /// </summary>
    public static string NothingInRange(string? from, string? to, ListDomainsResponse answer)
    {
        var range = from is null && to is null ? "in the last 31 days" : $"from {from ?? "(30 days before)"} to {to ?? "today"}";
        if (answer.LastDataDay.Length == 0)
        {
            return $"No domain has data {range}: the daemon holds no data yet.";
        }

        var last = DateOnly.ParseExact(answer.LastDataDay, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var first = DateOnly.ParseExact(answer.FirstDataDay, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var start = last.AddDays(-30) < first ? first : last.AddDays(-30);
        return $"No domain has data {range}. The data held runs from {answer.FirstDataDay} to {answer.LastDataDay}: "
            + $"try --from {Days.Format(start)} --to {answer.LastDataDay}.";
    }

    private static Command SummaryCommand(TextWriter output, TextWriter error)
    {
        var connection = new DaemonConnection();
        var (domain, from, to, direction) = (DomainArgument(), From(), To(), DirectionOption());
        var command = connection.With(new Command("summary", "One domain: sessions, failures and rate per direction, the policies seen, the reporters.")
        {
            domain, from, to, direction,
        });
        command.SetAction((parsed, cancellationToken) => connection.CallAsync(parsed, error, async (invoker, headers) =>
        {
            var request = new DomainRequest { Domain = parsed.GetValue(domain)!, Range = Range(parsed, from, to), Direction = ToDirection(parsed.GetValue(direction)) };
            var summary = await new Query.QueryClient(invoker).GetDomainSummaryAsync(request, headers, cancellationToken: cancellationToken);
            if (parsed.GetValue(connection.Json))
            {
                await output.WriteLineAsync(DaemonConnection.Format(summary));
                return 0;
            }

            var totals = new TextTable("DIRECTION", "SESSIONS", "FAILURES", "FAILURE RATE", "LAST SEEN").RightAligned(1, 2, 3);
            foreach (var t in summary.Totals)
            {
                totals.Add(Name(t.Direction), t.Sessions, t.Failures, t.FailureRate, t.LastSeenDay);
            }

            totals.WriteTo(output);
            if (summary.Policies.Count > 0)
            {
                await output.WriteLineAsync();
                var policies = new TextTable("DIRECTION", "TYPE", "MODE", "MX", "FIRST DAY", "LAST DAY", "SESSIONS").RightAligned(6);
                foreach (var p in summary.Policies)
                {
                    policies.Add(Name(p.Direction), p.PolicyType, p.Mode, string.Join(" ", p.MxHost), p.FirstDay, p.LastDay, p.Sessions);
                }

                policies.WriteTo(output);
            }

            if (summary.Reporters.Count > 0)
            {
                await output.WriteLineAsync();
                var reporters = new TextTable("REPORTER", "REPORTS", "SESSIONS", "FAILURES", "FIRST DAY", "LAST DAY").RightAligned(1, 2, 3);
                foreach (var r in summary.Reporters)
                {
                    reporters.Add(r.Organization, r.Reports, r.Sessions, r.Failures, r.FirstDay, r.LastDay);
                }

                reporters.WriteTo(output);
            }

            return 0;
        }));
        return command;
    }

    private static Command TrendCommand(TextWriter output, TextWriter error)
    {
        var connection = new DaemonConnection();
        var (domain, from, to, direction) = (DomainArgument(), From(), To(), DirectionOption());
        var all = new Option<bool>("--all-days") { Description = "also print the days without sessions" };
        var command = connection.With(new Command("trend", "One domain, day by day: successes, failures and failures per result type.")
        {
            domain, from, to, direction, all,
        });
        command.SetAction((parsed, cancellationToken) => connection.CallAsync(parsed, error, async (invoker, headers) =>
        {
            var request = new DomainRequest { Domain = parsed.GetValue(domain)!, Range = Range(parsed, from, to), Direction = ToDirection(parsed.GetValue(direction)) };
            var trend = await new Query.QueryClient(invoker).GetDailyTrendAsync(request, headers, cancellationToken: cancellationToken);
            if (parsed.GetValue(connection.Json))
            {
                await output.WriteLineAsync(DaemonConnection.Format(trend));
                return 0;
            }

            var table = new TextTable("DAY", "DIRECTION", "SESSIONS", "FAILURES", "FAILURES BY RESULT TYPE").RightAligned(2, 3);
            foreach (var series in trend.Series)
            {
                foreach (var day in series.Days.Where(d => parsed.GetValue(all) || d.Successes + d.Failures > 0))
                {
                    var types = day.FailuresByResultType.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}");
                    table.Add(day.Day, Name(series.Direction), day.Successes + day.Failures, day.Failures, string.Join(" ", types));
                }
            }

            table.WriteTo(output);
            return 0;
        }));
        return command;
    }

    private static Command BreakdownCommand(TextWriter output, TextWriter error)
    {
        var connection = new DaemonConnection();
        var (domain, from, to) = (DomainArgument(), From(), To());
        var direction = DirectionOption();
        var by = new Option<string>("--by") { Description = "the dimension: result-type, mx, reporter (inbound only), sending-ip or policy", Required = true };
        by.AcceptOnlyFromAmong("result-type", "mx", "reporter", "sending-ip", "policy");
        var command = connection.With(new Command("breakdown", "One domain's failures grouped by result type, receiving MX, reporter, sending IP or policy; most failures first.")
        {
            domain, by, from, to, direction,
        });
        command.SetAction((parsed, cancellationToken) => connection.CallAsync(parsed, error, async (invoker, headers) =>
        {
            var dimension = parsed.GetValue(by) switch
            {
                "result-type" => BreakdownRequest.Types.Dimension.ResultType,
                "mx" => BreakdownRequest.Types.Dimension.ReceivingMx,
                "reporter" => BreakdownRequest.Types.Dimension.ReportingOrganization,
                "sending-ip" => BreakdownRequest.Types.Dimension.SendingMtaIp,
                _ => BreakdownRequest.Types.Dimension.Policy,
            };

            // The API answers one direction at a time; "both" asks each that has the dimension.
            var asked = ToDirection(parsed.GetValue(direction));
            Direction[] directions = asked != Direction.Unspecified ? [asked]
                : dimension == BreakdownRequest.Types.Dimension.ReportingOrganization ? [Direction.Inbound]
                : [Direction.Outbound, Direction.Inbound];
            var client = new Query.QueryClient(invoker);
            var answers = new List<FailureBreakdown>();
            foreach (var d in directions)
            {
                try
                {
                    answers.Add(await client.GetFailureBreakdownAsync(
                        new BreakdownRequest { Domain = parsed.GetValue(domain)!, Range = Range(parsed, from, to), Direction = d, Dimension = dimension }, headers, cancellationToken: cancellationToken));
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound && directions.Length > 1 && (d != directions[^1] || answers.Count > 0))
                {
                    // Asked for both: a direction without data for the domain is left out; both without is "not found".
                }
            }

            if (parsed.GetValue(connection.Json))
            {
                foreach (var answer in answers)
                {
                    await output.WriteLineAsync(DaemonConnection.Format(answer));
                }

                return 0;
            }

            var policy = dimension == BreakdownRequest.Types.Dimension.Policy;
            var table = policy ? new TextTable("DIRECTION", "FAILURES", "POLICY", "KEY").RightAligned(1) : new TextTable("DIRECTION", "FAILURES", parsed.GetValue(by)!.ToUpperInvariant()).RightAligned(1);
            foreach (var answer in answers)
            {
                foreach (var row in answer.Rows)
                {
                    if (policy)
                    {
                        table.Add(Name(answer.Direction), row.Failures, row.Label, row.Key);
                    }
                    else
                    {
                        table.Add(Name(answer.Direction), row.Failures, row.Key.Length == 0 ? "(not given)" : row.Key);
                    }
                }
            }

            table.WriteTo(output);
            return 0;
        }));
        return command;
    }

    private static Command ReportsCommand(TextWriter output, TextWriter error)
    {
        var connection = new DaemonConnection();
        var (from, to) = (From(), To());
        var domain = new Option<string?>("--domain") { Description = "only reports covering this policy domain" };
        var organization = new Option<string?>("--organization") { Description = "only reports from this reporter" };
        var limit = new Option<int>("--limit") { Description = "at most this many reports (1 to 1000)", DefaultValueFactory = _ => 50 };
        var command = connection.With(new Command("reports", "List the stored inbound reports, newest first.")
        {
            from, to, domain, organization, limit,
        });
        command.SetAction((parsed, cancellationToken) => connection.CallAsync(parsed, error, async (invoker, headers) =>
        {
            var request = new ListReportsRequest
            {
                Range = Range(parsed, from, to),
                Domain = parsed.GetValue(domain) ?? "",
                Organization = parsed.GetValue(organization) ?? "",
                PageSize = parsed.GetValue(limit),
            };
            var answer = await new Query.QueryClient(invoker).ListReportsAsync(request, headers, cancellationToken: cancellationToken);
            if (parsed.GetValue(connection.Json))
            {
                await output.WriteLineAsync(DaemonConnection.Format(answer));
                return 0;
            }

            var table = new TextTable("ID", "DAY", "REPORTER", "DOMAINS", "SESSIONS", "FAILURES", "DKIM", "FLAGS").RightAligned(0, 4, 5);
            foreach (var r in answer.Reports)
            {
                table.Add(r.Id, r.Start.Length >= 10 ? r.Start[..10] : r.Start, r.Organization, string.Join(" ", r.PolicyDomains), r.SuccessCount + r.FailureCount, r.FailureCount,
                    r.DkimResult, string.Join(" ", FlagCodes(r.Flags)));
            }

            table.WriteTo(output);
            if (answer.NextPageToken.Length > 0)
            {
                await output.WriteLineAsync($"(more reports than --limit {request.PageSize})");
            }

            return 0;
        }));
        return command;
    }

    /// <summary>A list shows each kind of flag once, by its code ("number-as-string"); the report shows where each is.</summary>
    public static IEnumerable<string> FlagCodes(IEnumerable<string> flags) => flags.Select(f => f.Split(':')[0]).Distinct(StringComparer.Ordinal);

    private static Command ReportCommand(TextWriter output, TextWriter error)
    {
        var connection = new DaemonConnection();
        var id = new Argument<long>("ID") { Description = "the report's number, from the reports command" };
        var original = new Option<bool>("--original") { Description = "print the report's original bytes (the mail or file as received) instead" };
        var command = connection.With(new Command("report", "One stored inbound report: who sent it, its policies and failure details.")
        {
            id, original,
        });
        command.SetAction((parsed, cancellationToken) => connection.CallAsync(parsed, error, async (invoker, headers) =>
        {
            var wantOriginal = parsed.GetValue(original);
            var report = await new Query.QueryClient(invoker).GetReportAsync(new GetReportRequest { Id = parsed.GetValue(id), IncludeOriginal = wantOriginal }, headers, cancellationToken: cancellationToken);
            if (wantOriginal)
            {
                // The bytes as received (a mail may not be UTF-8): straight to standard output when that is where the output goes.
                if (ReferenceEquals(output, Console.Out))
                {
                    await using var stdout = Console.OpenStandardOutput();
                    await stdout.WriteAsync(report.Original.Memory, cancellationToken);
                }
                else
                {
                    await output.WriteAsync(report.Original.ToStringUtf8());
                }

                return 0;
            }

            if (parsed.GetValue(connection.Json))
            {
                await output.WriteLineAsync(DaemonConnection.Format(report));
                return 0;
            }

            var h = report.Header;
            var header = new TextTable("FIELD", "VALUE");
            header.Add("report-id", h.ReportId);
            header.Add("organization", h.Organization);
            header.Add("contact-info", report.ContactInfo);
            header.Add("date-range", $"{h.Start} .. {h.End}");
            header.Add("received", $"{h.ReceivedAt} ({h.SourceKind} {h.SourceName})");
            header.Add("dkim", h.DkimDomain.Length == 0 ? h.DkimResult : $"{h.DkimResult} ({h.DkimDomain})");
            header.Add("flags", h.Flags.Count == 0 ? "none" : $"{h.Flags.Count}");
            header.WriteTo(output);
            foreach (var flag in h.Flags)
            {
                await output.WriteLineAsync("  " + flag);
            }

            await output.WriteLineAsync();
            var policies = new TextTable("DOMAIN", "TYPE", "SUCCESSES", "FAILURES", "POLICY").RightAligned(2, 3);
            foreach (var p in report.Policies)
            {
                policies.Add(p.PolicyDomain, p.PolicyType, p.SuccessCount, p.FailureCount, string.Join("; ", p.PolicyString));
            }

            policies.WriteTo(output);
            var details = report.Policies.SelectMany(p => p.FailureDetails.Select(d => (p.PolicyDomain, d))).ToList();
            if (details.Count > 0)
            {
                await output.WriteLineAsync();
                var table = new TextTable("DOMAIN", "RESULT TYPE", "SESSIONS", "RECEIVING MX", "RECEIVING IP", "SENDING IP", "REASON").RightAligned(2);
                foreach (var (domain, d) in details)
                {
                    table.Add(domain, d.ResultType, d.FailedSessionCount, d.ReceivingMxHostname, d.ReceivingIp, d.SendingMtaIp, d.FailureReasonCode);
                }

                table.WriteTo(output);
            }

            return 0;
        }));
        return command;
    }
}
