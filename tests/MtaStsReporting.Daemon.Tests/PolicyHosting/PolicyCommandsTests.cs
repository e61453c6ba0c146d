using MtaStsReporting.Daemon.Hosting;
using MtaStsReporting.Daemon.Tests.Support;

namespace MtaStsReporting.Daemon.Tests.PolicyHosting;

/// <summary>The policy commands against a daemon that hosts no policy (the first-run default): each answer in one line, with its exit code.</summary>
public sealed class PolicyCommandsTests : IAsyncLifetime
{
    private InProcessDaemon _daemon = null!;

    public async Task InitializeAsync() => _daemon = await InProcessDaemon.StartAsync();

    public async Task DisposeAsync() => await _daemon.DisposeAsync();

    private async Task<(int Code, string Output, string Error)> CliAsync(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = await CommandTree.RunAsync([.. args, "--url", _daemon.Url], output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData(new[] { "policy", "list" }, 0, "No policy is served: add one with 'policy set DOMAIN --mode testing --mx HOST' or PolicyHosting:Domains.\n", "")]
    [InlineData(new[] { "policy", "show", "a.example" }, 1, "", "mtasts-reporting policy show: no policy for a.example is served here\n")]
    [InlineData(new[] { "policy", "history", "a.example" }, 1, "", "mtasts-reporting policy history: no policy for a.example was ever served here\n")]
    [InlineData(new[] { "policy", "set", "a.example", "--mx", "mx.a.example" }, 2, "",
        "mtasts-reporting policy set: FailedPrecondition: policy hosting is off: set PolicyHosting:Url and PolicyHosting:Certificates to serve and change policies (README: \"Policy hosting\").\n")]
    [InlineData(new[] { "readiness", "a.example", "--apply" }, 2, "",
        "mtasts-reporting readiness: FailedPrecondition: policy hosting is off: set PolicyHosting:Url and PolicyHosting:Certificates to serve and change policies (README: \"Policy hosting\").\n")]
    [InlineData(new[] { "policy", "set", "not a domain" }, 2, "", "mtasts-reporting policy set: InvalidArgument: domain: ")]
    [InlineData(new[] { "readiness", "a.example", "--dry-run" }, 2, "", "mtasts-reporting readiness: --dry-run goes with --apply (see mtasts-reporting readiness --help)\n")]
    [InlineData(new[] { "policy", "set", "a.example", "--wait", "soon" }, 2, "", "mtasts-reporting policy set: --wait 'soon' is not a duration (500ms, 30s, 5m, 1h, or 00:05:00)\n")]
    public async Task Each_answer_is_one_line_with_its_exit_code(string[] args, int code, string output, string error)
    {
        var result = await CliAsync(args);

        Assert.Equal((code, output), (result.Code, result.Output));
        Assert.StartsWith(error, result.Error, StringComparison.Ordinal);
        Assert.Equal(error.Length == 0 ? 0 : 1, result.Error.Count(c => c == '\n'));
    }
}
