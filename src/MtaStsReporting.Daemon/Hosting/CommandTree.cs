using System.CommandLine;
using System.CommandLine.Help;
using MtaStsReporting.Daemon.Forward;
using MtaStsReporting.Daemon.Queries;
using MtaStsReporting.Daemon.Readiness;
using MtaStsReporting.Daemon.Security;
using MtaStsReporting.Domain.Access;

namespace MtaStsReporting.Daemon.Hosting;

/// <summary>
/// The command line of <c>mtasts-reporting</c>, on System.CommandLine: <c>serve</c> (also what
/// runs when no command is given), the commands on the configured store (<c>import</c>,
/// <c>keys</c>), the relay hosts' <c>forward</c>, and the commands that ask a running daemon
/// (<c>domains</c>, <c>summary</c>, <c>trend</c>, <c>breakdown</c>, <c>reports</c>,
/// <c>report</c>, <c>check</c>, <c>readiness</c>). A mistake is one line and exit code 2.
/// </summary>
public static class CommandTree
{
    /// <summary>Exit code of a usage or settings mistake.</summary>
    public const int UsageError = 2;

    /// <summary>Parses and runs a command line; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        // Settings (--Section:Key=value, as the daemon's configuration reads them) are taken
        // out before parsing: the commands that open the store or run a host pass them on.
        var settings = args.Where(IsSetting).ToList();
        var root = Build(output, error, settings);
        // No response files: an argument starting with '@' is a path or a value, never expanded.
        var parsed = root.Parse([.. args.Where(a => !IsSetting(a))], new ParserConfiguration { ResponseFileTokenReplacer = null });
        // The daemon and the forwarder stop on SIGTERM through their host (exit 0 once all is
        // committed); System.CommandLine's own handler would end the process with 143 first.
        var invocation = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };

        // --help and --version answer even on a line with mistakes, as every command line does.
        if (parsed.Action is HelpAction || parsed.Action?.GetType().Name == "VersionOptionAction")
        {
            return await parsed.InvokeAsync(invocation);
        }

        if (parsed.Errors.Count > 0)
        {
            // One line: System.CommandLine lists the allowed values on lines of their own.
            var message = string.Join(" ", parsed.Errors[0].Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            if (parsed.UnmatchedTokens.Count > 0)
            {
                var token = parsed.UnmatchedTokens[0];
                message = parsed.CommandResult.Parent is null ? $"unknown command '{token}'"
                    : token.StartsWith('-') ? $"unknown option '{token}'" : $"unexpected argument '{token}'";
            }

            await error.WriteLineAsync($"{Path(parsed)}: {message} (see {Path(parsed)} --help)");
            return UsageError;
        }

        if (settings.Count > 0 && !TakesSettings(parsed.CommandResult.Command))
        {
            await error.WriteLineAsync($"{Path(parsed)}: '{settings[0]}' is a daemon setting; this command asks a running daemon (--url) and takes none (see {Path(parsed)} --help)");
            return UsageError;
        }

        try
        {
            return await parsed.InvokeAsync(invocation);
        }
        catch (OptionsValidationFailure ex)
        {
            // A settings file that cannot be read, found while the host is built.
            await error.WriteLineAsync($"{Path(parsed)}: configuration error: {ex.Message}");
            return UsageError;
        }
    }

    // The commands that run a host or open the store read the settings.
    private static bool TakesSettings(Command command) =>
        !command.Parents.Any() || command.Name is "serve" or "import" or "forward" || command.Parents.OfType<Command>().Any(p => p.Name == "keys");

    /// <summary>"mtasts-reporting" and the words of the command being run.</summary>
    public static string Path(ParseResult parsed)
    {
        var names = new List<string>();
        for (var result = parsed.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, result.Command.Name);
        }

        return string.Join(" ", names);
    }

    /// <summary>The whole tree.</summary>
    public static Command Build(TextWriter output, TextWriter error, IReadOnlyList<string> settings)
    {
        // A plain command rather than RootCommand, whose name is the running program's (the
        // test host's under tests, "dotnet" under some launchers): help always says mtasts-reporting.
        var root = new Command("mtasts-reporting", "MTA-STS and SMTP TLS Reporting (RFC 8461, RFC 8460): stores what relays and reporters say, aggregates it per domain, "
            + "says when a domain can move to enforce, and sends the daily reports our relays owe. Without a command, runs the daemon (serve).");
        var urls = UrlsOption();
        root.Options.Add(urls);
        root.Options.Add(new HelpOption());
        root.Options.Add(new VersionOption());
        root.SetAction((parsed, _) => ServeAsync(parsed, urls, settings, error));

        root.Subcommands.Add(Serve(settings, error));
        root.Subcommands.Add(Import(settings));
        root.Subcommands.Add(Keys(settings, output, error));
        foreach (var command in QueryCommands.All(output, error))
        {
            root.Subcommands.Add(command);
        }

        foreach (var command in ReadinessCommands.All(output, error))
        {
            root.Subcommands.Add(command);
        }

        root.Subcommands.Add(PolicyHosting.PolicyCommands.Build(output, error));
        root.Subcommands.Add(ForwardCommand.Build(settings, error));
        return root;
    }

    private static Option<string?> UrlsOption() => new("--urls")
    {
        Description = "where the gRPC API listens (default http://127.0.0.1:50051; several separated by ';'). Other settings as --Section:Key=value, e.g. --Storage:DataDirectory=DIR, --HttpApi:Url=URL",
        HelpName = "URLS",
    };

    private static Command Serve(IReadOnlyList<string> settings, TextWriter error)
    {
        var urls = UrlsOption();
        var serve = new Command("serve", "Run the daemon (the default): the gRPC API, the HTTP/JSON API and dashboard, the collector, mailboxes and workers as configured. "
            + "Settings as --Section:Key=value (see the README's Settings).")
        {
            urls,
        };
        serve.SetAction((parsed, _) => ServeAsync(parsed, urls, settings, error));
        return serve;
    }

    private static Task<int> ServeAsync(ParseResult parsed, Option<string?> urls, IReadOnlyList<string> settings, TextWriter error) =>
        DaemonApp.ServeAsync([.. settings, .. parsed.GetValue(urls) is { } value ? new[] { "--urls", value } : []], error);

    private static Command Import(IReadOnlyList<string> settings)
    {
        var paths = new Argument<string[]>("PATH") { Description = "report files (.eml, .json, .json.gz, .gz, .zip) or folders, read recursively", Arity = ArgumentArity.OneOrMore };
        var import = new Command("import", "Import report files into the configured store, without a running daemon; one JSON line per file. Exit 1 when a file was invalid.")
        {
            paths,
        };
        import.SetAction((parsed, _) => DaemonApp.ImportAsync([.. settings], [.. parsed.GetValue(paths)!]));
        return import;
    }

    private static Command Keys(IReadOnlyList<string> settings, TextWriter output, TextWriter error)
    {
        var role = new Option<string>("--role") { Description = "relay: report outcomes; reader: queries and dashboard; admin: everything", Required = true };
        role.AcceptOnlyFromAmong("relay", "reader", "admin");
        var name = new Option<string>("--name") { Description = "who the key is for, e.g. the relay's host name", Required = true };
        var create = new Command("create", "Create a key; it is printed once, only its hash is stored.") { role, name };
        var list = new Command("list", "List the keys (never the keys themselves), one JSON line each.");
        var id = new Argument<string>("ID") { Description = "the key's id, from keys list" };
        var revoke = new Command("revoke", "Revoke a key: refused from the next call on. Exit 1 when there is no such key.") { id };
        create.SetAction((parsed, _) => DaemonApp.KeysAsync([.. settings],
            store => KeyCommands.CreateAsync(store, Enum.Parse<Role>(parsed.GetValue(role)!, ignoreCase: true), parsed.GetValue(name)!, output, error)));
        list.SetAction((_, _) => DaemonApp.KeysAsync([.. settings], store => KeyCommands.ListAsync(store, output)));
        revoke.SetAction((parsed, _) => DaemonApp.KeysAsync([.. settings], store => KeyCommands.RevokeAsync(store, parsed.GetValue(id)!, output, error)));

        return new Command("keys", "Manage the API keys in the configured store (Security:Authentication=ApiKeys).") { create, list, revoke };
    }

    /// <summary>A <c>--Section:Key=value</c> word.</summary>
    public static bool IsSetting(string token) =>
        token.StartsWith("--", StringComparison.Ordinal) && token.IndexOf('=', StringComparison.Ordinal) is var equals and > 2
        && token.AsSpan(2, equals - 2).Contains(':');
}
