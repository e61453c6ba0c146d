using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Hosting;

namespace MtaStsReporting.Daemon.Readiness;

/// <summary>
/// <c>mtasts-reporting readiness DOMAIN</c> and <c>mtasts-reporting check DOMAIN</c>: for
/// automation. They call a running daemon's gRPC API (<c>--url</c>, default
/// http://127.0.0.1:50051) and print its answer as JSON. Exit codes: 0 ready (or keep; for
/// check: nothing blocking), 1 not ready or roll back (for check: something blocking),
/// 2 insufficient data or an error.
/// </summary>
public static class ReadinessCommands
{
    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithIndentation().WithFormatDefaultValues(true));

    /// <summary>Runs <c>readiness</c> or <c>check</c>; returns the exit code.</summary>
    public static async Task<int> RunAsync(string command, string[] args, TextWriter output, TextWriter error)
    {
        var url = "http://127.0.0.1:50051";
        string? caFile = null;
        string? keyFile = null;
        var key = Environment.GetEnvironmentVariable("MTASTS_REPORTING_API_KEY");
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var (name, value) = args[i].Split('=', 2) is [var n, var v] && n.StartsWith("--", StringComparison.Ordinal) ? (n, v) : (args[i], null);
            if (name is "--url" or "--ca-file" or "--key-file" && (value is not null || i + 1 < args.Length))
            {
                value ??= args[++i];
                switch (name)
                {
                    case "--url": url = value; break;
                    case "--ca-file": caFile = value; break;
                    default: keyFile = value; break;
                }
            }
            else
            {
                rest.Add(args[i]);
            }
        }

        if (rest.Count != 1)
        {
            await error.WriteLineAsync($"usage: mtasts-reporting {command} DOMAIN [--url http://127.0.0.1:50051] [--key-file FILE] [--ca-file PEM]  (key also from MTASTS_REPORTING_API_KEY)");
            return 2;
        }

        try
        {
            key = keyFile is null ? key : (await File.ReadAllTextAsync(keyFile)).Trim();
            using var channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions { HttpHandler = Hosting.ClientChannels.Handler(caFile) });
            var headers = string.IsNullOrEmpty(key) ? null : new Metadata { { "authorization", "Bearer " + key } };
            var client = new Api.V1.Readiness.ReadinessClient(channel);
            var request = new CheckDomainRequest { Domain = rest[0] };
            if (command == "check")
            {
                var check = await client.CheckDomainAsync(request, headers);
                await output.WriteLineAsync(Json.Format(check));
                return check.Blocking ? 1 : 0;
            }

            var verdict = await client.GetReadinessAsync(request, headers);
            await output.WriteLineAsync(Json.Format(verdict));
            return verdict.Verdict switch
            {
                ReadinessOutcome.Ready or ReadinessOutcome.Keep => 0,
                ReadinessOutcome.NotReady or ReadinessOutcome.RollBack => 1,
                _ => 2,
            };
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable)
        {
            // gRPC's own words ("Error connecting to subchannel.") do not say where it tried.
            var cause = ex.Status.DebugException is { } inner ? ExceptionText.Innermost(inner) : ex.Status.Detail;
            await error.WriteLineAsync($"mtasts-reporting {command}: cannot reach the daemon at {url}: {cause}");
            return 2;
        }
        catch (RpcException ex)
        {
            await error.WriteLineAsync($"mtasts-reporting {command}: {ex.StatusCode}: {ex.Status.Detail}");
            return 2;
        }
        catch (Exception ex) when (ex is IOException or System.Security.Cryptography.CryptographicException or UriFormatException)
        {
            await error.WriteLineAsync($"mtasts-reporting {command}: {ex.Message}");
            return 2;
        }
    }
}
