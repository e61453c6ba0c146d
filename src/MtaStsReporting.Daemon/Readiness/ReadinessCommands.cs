using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using MtaStsReporting.Api.V1;

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
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--url" && i + 1 < args.Length)
            {
                url = args[++i];
            }
            else if (args[i].StartsWith("--url=", StringComparison.Ordinal))
            {
                url = args[i]["--url=".Length..];
            }
            else
            {
                rest.Add(args[i]);
            }
        }

        if (rest.Count != 1)
        {
            await error.WriteLineAsync($"usage: mtasts-reporting {command} DOMAIN [--url http://127.0.0.1:50051]");
            return 2;
        }

        try
        {
            using var channel = GrpcChannel.ForAddress(url);
            var client = new Api.V1.Readiness.ReadinessClient(channel);
            var request = new CheckDomainRequest { Domain = rest[0] };
            if (command == "check")
            {
                var check = await client.CheckDomainAsync(request);
                await output.WriteLineAsync(Json.Format(check));
                return check.Blocking ? 1 : 0;
            }

            var verdict = await client.GetReadinessAsync(request);
            await output.WriteLineAsync(Json.Format(verdict));
            return verdict.Verdict switch
            {
                ReadinessOutcome.Ready or ReadinessOutcome.Keep => 0,
                ReadinessOutcome.NotReady or ReadinessOutcome.RollBack => 1,
                _ => 2,
            };
        }
        catch (RpcException ex)
        {
            await error.WriteLineAsync($"mtasts-reporting {command}: {ex.StatusCode}: {ex.Status.Detail}");
            return 2;
        }
    }
}
