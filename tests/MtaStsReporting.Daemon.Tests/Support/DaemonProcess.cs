using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Grpc.Net.Client;

namespace MtaStsReporting.Daemon.Tests.Support;

/// <summary>
/// The daemon as a separate process, started as a user would start it: the built executable,
/// its own appsettings.json, a working directory whose ./data holds the database. Only the port
/// is changed (to a free one), so that tests can run side by side.
/// </summary>
public sealed partial class DaemonProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];
    private readonly TaskCompletionSource<string> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private DaemonProcess(Process process) => _process = process;

    /// <summary>The daemon's built entry assembly, from the same configuration as the tests.</summary>
    public static string DaemonDll
    {
        get
        {
            var configuration = typeof(DaemonProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
            var dll = Path.Combine(Repository.Root, "src", "MtaStsReporting.Daemon", "bin", configuration, "net10.0", "mtasts-reporting.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException("Build the daemon first.", dll);
        }
    }

    public string Url { get; private set; } = string.Empty;

    public int ProcessId => _process.Id;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    /// <summary>Starts the daemon in <paramref name="workingDirectory"/> and waits until it listens.</summary>
    public static Task<DaemonProcess> StartAsync(string workingDirectory, params string[] extraArgs) => StartAsync(workingDirectory, new Dictionary<string, string>(), extraArgs);

    /// <summary>
    /// The same with environment variables for the daemon alone: tests run in parallel, so a
    /// variable set in the test process would leak into every other test's daemon.
    /// </summary>
    public static async Task<DaemonProcess> StartAsync(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] extraArgs)
    {
        var daemon = Launch(workingDirectory, ["--urls", "http://127.0.0.1:0", "--HttpApi:Url=http://127.0.0.1:0", .. extraArgs], environment);
        var finished = await Task.WhenAny(daemon._listening.Task, daemon._process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)));
        if (finished != daemon._listening.Task)
        {
            var output = daemon.Output;
            await daemon.DisposeAsync();
            throw new InvalidOperationException("The daemon did not start listening:\n" + output);
        }

        daemon.Url = await daemon._listening.Task;
        return daemon;
    }

    /// <summary>
    /// Starts another listening command of the executable (<c>forward</c>) with exactly these
    /// arguments; <see cref="Url"/> is the first address it announces.
    /// </summary>
    public static async Task<DaemonProcess> StartCommandAsync(string workingDirectory, params string[] args)
    {
        var process = Launch(workingDirectory, args, new Dictionary<string, string>());
        var finished = await Task.WhenAny(process._listening.Task, process._process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)));
        if (finished != process._listening.Task)
        {
            var output = process.Output;
            await process.DisposeAsync();
            throw new InvalidOperationException("The command did not start listening:\n" + output);
        }

        process.Url = await process._listening.Task;
        return process;
    }

    /// <summary>Runs the daemon until it exits by itself (a bad setting); returns exit code and output.</summary>
    public static Task<(int ExitCode, string Output)> RunToExitAsync(string workingDirectory, params string[] args) =>
        RunToExitAsync(workingDirectory, new Dictionary<string, string>(), args);

    /// <summary>The same with environment variables for the daemon alone.</summary>
    public static async Task<(int ExitCode, string Output)> RunToExitAsync(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        await using var daemon = Launch(workingDirectory, args, environment);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await daemon._process.WaitForExitAsync(timeout.Token);
        return (daemon._process.ExitCode, daemon.Output);
    }

    private static DaemonProcess Launch(string workingDirectory, string[] args, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(DaemonDll);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        // The daemon's settings come from its own files; nothing of the test's environment.
        start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        start.Environment.Remove("ASPNETCORE_URLS");
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var daemon = new DaemonProcess(new Process { StartInfo = start, EnableRaisingEvents = true });
        daemon._process.OutputDataReceived += (_, e) => daemon.OnLine(e.Data);
        daemon._process.ErrorDataReceived += (_, e) => daemon.OnLine(e.Data);
        daemon._process.Start();
        daemon._process.BeginOutputReadLine();
        daemon._process.BeginErrorReadLine();
        return daemon;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Add(line);
        }

        // The first address Kestrel announces is the gRPC listener (set up first).
        var match = ListeningLine().Match(line);
        if (match.Success)
        {
            _listening.TrySetResult(match.Groups[1].Value);
        }
    }

    public GrpcChannel CreateChannel() => GrpcChannel.ForAddress(Url);

    /// <summary>SIGTERM, as systemd or Ctrl+C would send, then waits for the exit code.</summary>
    public async Task<int> TerminateAsync()
    {
        if (Kill(_process.Id, Sigterm) != 0)
        {
            throw new InvalidOperationException("kill(SIGTERM) failed: " + Marshal.GetLastPInvokeError());
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: the process gets no chance to clean up.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>Peak resident memory so far (VmHWM), in bytes.</summary>
    public long PeakMemoryBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private const int Sigterm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [GeneratedRegex(@"Now listening on: (https?://\S+)")]
    private static partial Regex ListeningLine();
}
