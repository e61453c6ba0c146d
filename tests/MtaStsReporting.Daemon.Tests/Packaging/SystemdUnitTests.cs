using System.Globalization;
using System.Text.RegularExpressions;
using Grpc.Core;
using Grpc.Net.Client;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Tests.Support;

namespace MtaStsReporting.Daemon.Tests.Packaging;

/// <summary>
/// What an operator installs (packaging/): the systemd unit passes <c>systemd-analyze verify</c>
/// and rates "OK" in <c>systemd-analyze security</c>, and the example production settings start
/// the daemon as they are (with the paths of this machine swapped in).
/// </summary>
public sealed partial class SystemdUnitTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private static string Packaging => Path.Combine(Repository.Root, "packaging");

    public void Dispose() => _dir.Dispose();

    /// <summary>The unit with its ExecStart pointing at the daemon built here (verify checks the program exists and runs).</summary>
    private string UnitHere()
    {
        var unit = File.ReadAllText(Path.Combine(Packaging, "mtasts-reporting.service"));
        var built = Path.Combine(Path.GetDirectoryName(DaemonProcess.DaemonDll)!, "mtasts-reporting");
        var path = Path.Combine(_dir.Path, "mtasts-reporting.service");
        File.WriteAllText(path, unit.Replace("/opt/mtasts-reporting/mtasts-reporting", built, StringComparison.Ordinal));
        return path;
    }

    private static (int Code, string Output) SystemdAnalyze(params string[] args) =>
        File.Exists("/usr/bin/systemd-analyze") ? Command.Run("systemd-analyze", args)
            : throw new InvalidOperationException("systemd-analyze is not installed: test.sh installs Debian's systemd package");

    [Fact]
    public void The_unit_passes_systemd_analyze_verify_without_a_warning()
    {
        var (code, output) = SystemdAnalyze("verify", UnitHere());

        Assert.Equal((0, ""), (code, output.Trim()));
    }

    [Fact]
    public void A_unit_with_a_mistake_is_caught_by_the_same_check()
    {
        var path = UnitHere();
        File.WriteAllText(path, File.ReadAllText(path).Replace("ExecStart=/", "ExecStart=/nonexistent/", StringComparison.Ordinal).Replace("RestartSec=", "RestartSecs=", StringComparison.Ordinal));

        var (code, output) = SystemdAnalyze("verify", path);

        Assert.NotEqual(0, code);
        Assert.Contains("Unknown key 'RestartSecs'", output, StringComparison.Ordinal);
        Assert.Contains("is not executable", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_unit_is_rated_ok_by_systemd_analyze_security_and_runs_as_a_dynamic_user_in_a_read_only_system()
    {
        var (code, output) = SystemdAnalyze("security", "--offline=true", "--threshold=20", UnitHere());

        Assert.True(code == 0, output);
        var overall = Overall().Match(output);
        Assert.True(overall.Success, output);
        var exposure = double.Parse(overall.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(exposure <= 2.0, $"exposure {exposure}: {overall.Value}");
        Assert.Equal("OK", overall.Groups[2].Value);

        var unit = File.ReadAllLines(Path.Combine(Packaging, "mtasts-reporting.service"));
        foreach (var line in new[] { "DynamicUser=yes", "StateDirectory=mtasts-reporting", "ProtectSystem=strict", "ProtectHome=yes", "NoNewPrivileges=yes", "CapabilityBoundingSet=", "Type=notify", "RestartPreventExitStatus=2" })
        {
            Assert.Contains(line, unit);
        }
    }

    [Fact]
    public async Task The_example_production_settings_start_the_daemon_with_keys_required()
    {
        var settings = Path.Combine(Packaging, "appsettings.Production.json");
        await using var daemon = await DaemonProcess.StartAsync(_dir.Path, new Dictionary<string, string> { ["MTASTS_REPORTING_SETTINGS"] = settings },
            // This machine's paths and loopback ports instead of /var/lib, /etc and 0.0.0.0 over TLS.
            $"--Storage:DataDirectory={_dir.Path}/data", "--Grpc:CertificateFile=", "--Grpc:KeyFile=", "--HttpApi:Url=http://127.0.0.1:0");

        using var channel = GrpcChannel.ForAddress(daemon.Url);
        var refused = await Assert.ThrowsAsync<RpcException>(() => new Query.QueryClient(channel).ListDomainsAsync(new ListDomainsRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.True(File.Exists(Path.Combine(_dir.Path, "data", "mtasts-reporting.db")));
    }

    [Theory]
    [InlineData("missing.json", null, "the settings file does not exist")]
    [InlineData("broken.json", "{ \"Storage\": ", "the file is not valid JSON: Expected depth to be zero at the end of the JSON payload.")]
    [InlineData("unknown.json", "{ \"Storage\": { \"DataDirectry\": \"/x\" } }", "DataDirectry")]
    // Kestrel's own listeners would walk around the exposure rules, from this file as from anywhere.
    [InlineData("kestrel.json", "{ \"Kestrel\": { \"Endpoints\": { \"open\": { \"Url\": \"http://0.0.0.0:0\" } } } }", "Kestrel:Endpoints:open:Url: Kestrel settings are not accepted")]
    public async Task A_settings_file_that_is_missing_or_wrong_is_one_line_and_exit_2(string name, string? content, string named)
    {
        var path = Path.Combine(_dir.Path, name);
        if (content is not null)
        {
            File.WriteAllText(path, content);
        }

        var (code, output) = await DaemonProcess.RunToExitAsync(_dir.Path, new Dictionary<string, string> { ["MTASTS_REPORTING_SETTINGS"] = path }, "--urls", "http://127.0.0.1:0");

        Assert.Equal(2, code);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("mtasts-reporting: configuration error: ", line, StringComparison.Ordinal);
        Assert.Contains(named, line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "data")));
    }

    [GeneratedRegex(@"Overall exposure level for \S+: (\d+\.\d) (\w+)")]
    private static partial Regex Overall();
}
