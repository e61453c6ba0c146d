using System.Diagnostics;

namespace MtaStsReporting.Daemon.Tests.Support;

/// <summary>A program of the machine's (mount, chown, kill…), run to its end.</summary>
public static class Command
{
    /// <summary>Runs it and returns its exit code and what it printed (stderr, then stdout).</summary>
    public static (int ExitCode, string Output) Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stderr.Result + stdout.Result);
    }

    /// <summary>Runs it and throws, with what it printed, when it fails.</summary>
    public static void RunChecked(string file, params string[] args)
    {
        var (code, output) = Run(file, args);
        if (code != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {code}: {output}");
        }
    }
}
