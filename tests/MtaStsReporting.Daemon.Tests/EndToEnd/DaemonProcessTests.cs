using Grpc.Health.V1;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Tests.Support;
using static MtaStsReporting.Daemon.Tests.Support.Outcomes;

namespace MtaStsReporting.Daemon.Tests.EndToEnd;

/// <summary>The daemon as a user runs it: its own process, its default settings, a real socket.</summary>
public sealed class DaemonProcessTests : IDisposable
{
    private readonly TempDirectory _cwd = new();

    public void Dispose() => _cwd.Dispose();

    [Fact]
    public async Task Reports_survive_sigterm_and_restart_with_the_default_configuration()
    {
        var now = DateTimeOffset.UtcNow;
        await using (var daemon = await DaemonProcess.StartAsync(_cwd.Path))
        {
            using var channel = daemon.CreateChannel();
            var client = new RelayOutcomes.RelayOutcomesClient(channel);
            var health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);

            await client.ReportOutcomesAsync(Batch("e2e-1", Success("example.com", now, 11), Failure("example.com", now, ResultType.CertificateExpired, 2)));
            Assert.Equal(0, await daemon.TerminateAsync());
            Assert.Contains("Store closed", daemon.Output);
        }

        // The default data directory is ./data under the working directory.
        var database = Path.Combine(_cwd.Path, "data", "mtasts-reporting.db");
        Assert.True(File.Exists(database));

        await using (var daemon = await DaemonProcess.StartAsync(_cwd.Path))
        {
            using var channel = daemon.CreateChannel();
            var client = new RelayOutcomes.RelayOutcomesClient(channel);
            Assert.True((await client.ReportOutcomesAsync(Batch("e2e-1", Success("example.com", now, 11)))).Duplicate);
            await client.ReportOutcomesAsync(Batch("e2e-2", Success("example.com", now, 1)));
            Assert.Equal(0, await daemon.TerminateAsync());
        }

        var row = Assert.Single(await new StoreReader(database).CountsAsync("example.com"));
        Assert.Equal((12L, 2L), (row.SuccessCount, row.FailureCount));
    }

    [Theory]
    [InlineData("--Relay:MaxBatchItems=0", "Relay:MaxBatchItems")]
    [InlineData("--Relay:MaxOutcomeAge=soon", "Relay:MaxOutcomeAge")]
    [InlineData("--Dns:Timeout=5 seconds", "Write a time span as 500ms, 5s, 10m, 2h, 30d or 00:00:05.")]
    [InlineData("--Storage:Durability=Sometimes", "Storage:Durability")]
    [InlineData("--Storage:DataDirectry=/tmp/x", "DataDirectry")]
    // Kestrel's own listener settings would walk around the loopback and cleartext rules.
    [InlineData("--Kestrel:Endpoints:open:Url=http://0.0.0.0:0", "Kestrel:Endpoints:open:Url")]
    public async Task A_bad_setting_stops_the_daemon_with_a_message_naming_it(string argument, string named)
    {
        var (exitCode, output) = await DaemonProcess.RunToExitAsync(_cwd.Path, argument);

        Assert.Equal(2, exitCode);
        Assert.Contains("configuration error", output);
        Assert.Contains(named, output);
        // Nothing was created: the daemon stopped before touching the disk.
        Assert.False(Directory.Exists(Path.Combine(_cwd.Path, "data")));
    }

    [Theory]
    [InlineData("Kestrel__Endpoints__open__Url")]
    [InlineData("ASPNETCORE_Kestrel__Endpoints__open__Url")]
    public async Task A_kestrel_listener_from_the_environment_is_refused(string variable)
    {
        var (exitCode, output) = await DaemonProcess.RunToExitAsync(_cwd.Path, new Dictionary<string, string> { [variable] = "http://0.0.0.0:0" },
            "--urls", "http://127.0.0.1:0", "--HttpApi:Url=http://127.0.0.1:0");

        Assert.Equal(2, exitCode);
        Assert.Contains("Kestrel:Endpoints:open:Url: Kestrel settings are not accepted", output);
        Assert.DoesNotContain("Now listening", output);
    }

    [Theory]
    [InlineData("")]
    [InlineData("keys list")]
    public async Task A_postgresql_server_that_cannot_be_reached_is_one_line_naming_it(string words)
    {
        var command = words.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var port = Loopback.FreePort();
        var (exitCode, output) = await DaemonProcess.RunToExitAsync(_cwd.Path,
            [.. command, "--Storage:Provider=PostgreSql", $"--Storage:ConnectionString=Host=127.0.0.1;Port={port};Database=mtasts;Username=mtasts;Timeout=5"]);

        Assert.Equal(1, exitCode);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"mtasts-reporting: the store at postgresql://127.0.0.1:{port}/mtasts cannot be opened: Connection refused", line);
    }

    [Theory]
    [InlineData("--urls")]
    [InlineData("--HttpApi:Url")]
    public async Task A_port_another_program_listens_on_is_one_line_naming_the_address_and_the_setting(string setting)
    {
        using var other = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        other.Start();
        var taken = $"http://127.0.0.1:{((System.Net.IPEndPoint)other.LocalEndpoint).Port}";
        string[] args = setting == "--urls"
            ? ["--urls", taken, "--HttpApi:Url=http://127.0.0.1:0"]
            : ["--urls", "http://127.0.0.1:0", $"--HttpApi:Url={taken}"];

        var (exitCode, output) = await DaemonProcess.RunToExitAsync(_cwd.Path, args);

        Assert.Equal(1, exitCode);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("mtasts-reporting:", StringComparison.Ordinal));
        Assert.Equal($"mtasts-reporting: cannot listen on {taken}: the address is already in use (another mtasts-reporting, or another program); choose another with {setting}", line);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        // Found before the store was opened: nothing was created.
        Assert.False(Directory.Exists(Path.Combine(_cwd.Path, "data")));
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("serve --help")]
    public async Task Help_prints_the_commands_and_starts_nothing(string words)
    {
        var (exitCode, output) = await DaemonProcess.RunToExitAsync(_cwd.Path, words.Split(' '));

        Assert.Equal(0, exitCode);
        Assert.Contains("Usage:", output);
        Assert.DoesNotContain("Now listening", output);
        Assert.False(Directory.Exists(Path.Combine(_cwd.Path, "data")));
    }

    [Fact]
    public async Task A_command_that_cannot_reach_the_daemon_names_the_url()
    {
        var url = $"http://127.0.0.1:{Loopback.FreePort()}";
        var (exitCode, output) = await DaemonProcess.RunToExitAsync(_cwd.Path, "readiness", "example.com", "--url", url);

        Assert.Equal(2, exitCode);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"mtasts-reporting readiness: cannot reach the daemon at {url}: ", line);
        Assert.Contains("Connection refused", line);
    }

    [Fact]
    public async Task Without_keys_the_daemon_listens_only_on_loopback()
    {
        var (exitCode, output) = await DaemonProcess.RunToExitAsync(_cwd.Path, "--urls", "http://0.0.0.0:0", "--HttpApi:Url=http://127.0.0.1:0");

        Assert.Equal(2, exitCode);
        Assert.Contains("Security:Authentication=ApiKeys", output);
    }

    [Fact]
    public async Task Keys_are_created_listed_and_revoked_with_commands()
    {
        var (created, createdOut) = await DaemonProcess.RunToExitAsync(_cwd.Path, "keys", "create", "--role", "relay", "--name", "relay1.example.net");
        Assert.Equal(0, created);
        var key = System.Text.Json.JsonDocument.Parse(createdOut.Split('\n').First(l => l.StartsWith('{'))).RootElement;
        Assert.Equal("relay", key.GetProperty("role").GetString());
        Assert.StartsWith("msr_" + key.GetProperty("id").GetString() + "_", key.GetProperty("key").GetString());

        var (_, listed) = await DaemonProcess.RunToExitAsync(_cwd.Path, "keys", "list");
        Assert.Contains("relay1.example.net", listed);
        Assert.DoesNotContain(key.GetProperty("key").GetString()!, listed); // only the hash is stored

        Assert.Equal(0, (await DaemonProcess.RunToExitAsync(_cwd.Path, "keys", "revoke", key.GetProperty("id").GetString()!)).ExitCode);
        Assert.Equal(1, (await DaemonProcess.RunToExitAsync(_cwd.Path, "keys", "revoke", "nosuchkey")).ExitCode);
        Assert.Equal(2, (await DaemonProcess.RunToExitAsync(_cwd.Path, "keys", "create", "--role", "god", "--name", "x")).ExitCode);
        Assert.Contains("\"revokedAt\":\"", (await DaemonProcess.RunToExitAsync(_cwd.Path, "keys", "list")).Output);
    }

    [Fact]
    public async Task Settings_come_from_environment_variables_too()
    {
        var dataDir = Path.Combine(_cwd.Path, "elsewhere");
        await using (var daemon = await DaemonProcess.StartAsync(_cwd.Path, new Dictionary<string, string> { ["Storage__DataDirectory"] = dataDir }))
        {
            Assert.Equal(0, await daemon.TerminateAsync());
        }

        Assert.True(File.Exists(Path.Combine(dataDir, "mtasts-reporting.db")));
    }
}
