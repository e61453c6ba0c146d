using System.CommandLine;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace MtaStsReporting.Daemon.Hosting;

/// <summary>
/// What the commands that ask a running daemon share: where it is (<c>--url</c>), how to trust
/// it (<c>--ca-file</c>), the key to send (<c>--key-file</c> or MTASTS_REPORTING_API_KEY),
/// <c>--json</c>, and the one line a failed call becomes.
/// </summary>
public sealed class DaemonConnection
{
    /// <summary>The environment variable a key is read from when no key file is given.</summary>
    public const string KeyVariable = "MTASTS_REPORTING_API_KEY";

    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithIndentation().WithFormatDefaultValues(true));

    /// <summary><c>--url</c>: the daemon's gRPC address.</summary>
    public Option<string> Url { get; } = new("--url")
    {
        Description = "the daemon's gRPC address",
        DefaultValueFactory = _ => "http://127.0.0.1:50051",
        HelpName = "URL",
    };

    /// <summary><c>--key-file</c>: a file holding an API key.</summary>
    public Option<string?> KeyFile { get; } = new("--key-file") { Description = $"a file holding an API key (else ${KeyVariable})", HelpName = "FILE" };

    /// <summary><c>--ca-file</c>: the CAs to trust for the daemon's certificate.</summary>
    public Option<string?> CaFile { get; } = new("--ca-file") { Description = "a PEM file of the CAs to trust for the daemon's certificate", HelpName = "PEM" };

    /// <summary><c>--json</c>: the API's answer as JSON instead of a table.</summary>
    public Option<bool> Json { get; } = new("--json") { Description = "print the API's answer as JSON (the HTTP API's field names) instead of a table" };

    /// <summary>Adds the connection options (and <c>--json</c> when the command prints tables) to a command.</summary>
    public Command With(Command command, bool json = true)
    {
        command.Options.Add(Url);
        command.Options.Add(KeyFile);
        command.Options.Add(CaFile);
        if (json)
        {
            command.Options.Add(Json);
        }

        return command;
    }

    /// <summary>An API key from a file (its content, trimmed), else from MTASTS_REPORTING_API_KEY; null when neither is given.</summary>
    public static async Task<string?> ReadKeyAsync(string? file) =>
        file is null ? Environment.GetEnvironmentVariable(KeyVariable) : (await File.ReadAllTextAsync(file)).Trim();

    /// <summary>The API's answer as indented JSON, every field shown.</summary>
    public static string Format(IMessage message) => Formatter.Format(message);

    /// <summary>
    /// Opens a channel, runs the call and returns its exit code; a daemon that cannot be reached,
    /// a refused call or an unreadable file is one line on <paramref name="error"/> naming the cause.
    /// Exit codes: what the call returns; 1 when the daemon has nothing under that name
    /// (NotFound); 2 when no answer came (unreachable, refused, bad argument, unreadable file).
    /// </summary>
    public async Task<int> CallAsync(ParseResult parsed, TextWriter error, Func<CallInvoker, Metadata?, Task<int>> call)
    {
        var name = CommandTree.Path(parsed);
        var url = parsed.GetValue(Url)!;
        try
        {
            var key = await ReadKeyAsync(parsed.GetValue(KeyFile));
            using var channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions { HttpHandler = ClientChannels.Handler(parsed.GetValue(CaFile)) });
            var headers = string.IsNullOrEmpty(key) ? null : new Metadata { { "authorization", "Bearer " + key } };
            return await call(channel.CreateCallInvoker(), headers);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable)
        {
            // gRPC's own words ("Error connecting to subchannel.") do not say where it tried.
            var cause = ex.Status.DebugException is { } inner ? ExceptionText.Innermost(inner) : ex.Status.Detail;
            await error.WriteLineAsync($"{name}: cannot reach the daemon at {url}: {cause}");
            return 2;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            await error.WriteLineAsync($"{name}: {ex.Status.Detail}");
            return 1;
        }
        catch (RpcException ex)
        {
            await error.WriteLineAsync($"{name}: {ex.StatusCode}: {ex.Status.Detail}");
            return 2;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or UriFormatException or ArgumentException)
        {
            await error.WriteLineAsync($"{name}: {ex.Message}");
            return 2;
        }
    }
}
