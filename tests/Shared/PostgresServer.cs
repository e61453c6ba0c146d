using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace MtaStsReporting.Tests.Shared;

/// <summary>
/// A throw-away PostgreSQL cluster from Debian's packages, on a free loopback port, started once
/// per test assembly and removed when the test process exits. Each test gets a database of its
/// own (<see cref="CreateDatabaseAsync"/>). As root (CI), the server runs as the postgres user,
/// since PostgreSQL refuses to run as root. The tests' cluster runs with fsync off: they kill
/// processes, never the machine, and the page cache survives a process kill. The benchmark's
/// (<see cref="StartDurableAsync"/>) keeps PostgreSQL's defaults.
/// </summary>
public sealed class PostgresServer
{
    private static readonly Lazy<Task<PostgresServer>> Shared = new(() => StartAsync(durable: false));
    private static int _databases;

    private PostgresServer(string directory, int port)
    {
        Directory = directory;
        Port = port;
    }

    /// <summary>The cluster's folder.</summary>
    public string Directory { get; }

    /// <summary>The loopback port it listens on.</summary>
    public int Port { get; }

    /// <summary>The binaries' folder (the newest installed major version), or null when PostgreSQL is not installed.</summary>
    public static string? BinDirectory =>
        System.IO.Directory.Exists("/usr/lib/postgresql")
            ? System.IO.Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "postgres"))).OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0).FirstOrDefault()
            : null;

    /// <summary>The cluster shared by the test process (fsync off).</summary>
    public static Task<PostgresServer> GetAsync() => Shared.Value;

    /// <summary>A cluster of its own with PostgreSQL's default durability (fsync on every commit), for the benchmark.</summary>
    public static Task<PostgresServer> StartDurableAsync() => StartAsync(durable: true);

    /// <summary>A new empty database; its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"t{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        await using (var connection = new NpgsqlConnection(ConnectionString("postgres")))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }

        return ConnectionString(name);
    }

    /// <summary>The connection string of a database of this cluster.</summary>
    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true;Timeout=15;Command Timeout=60";

    private static async Task<PostgresServer> StartAsync(bool durable)
    {
        var bin = BinDirectory ?? throw new InvalidOperationException(
            "PostgreSQL is not installed (/usr/lib/postgresql/*/bin/postgres); ./test.sh installs Debian's postgresql package.");
        // Clusters of earlier runs whose server is gone (the test host may end before its exit
        // handler has removed the folder) are removed first.
        foreach (var stale in System.IO.Directory.GetDirectories(Path.GetTempPath(), "mtasts-pg-*"))
        {
            if (!File.Exists(Path.Combine(stale, "data", "postmaster.pid")))
            {
                try
                {
                    System.IO.Directory.Delete(stale, recursive: true);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Another user's, or in use: left alone.
                }
            }
        }

        var directory = Path.Combine(Path.GetTempPath(), $"mtasts-pg-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        System.IO.Directory.CreateDirectory(directory);
        var root = Environment.UserName == "root";
        if (root)
        {
            await RunAsync("chown", "postgres:postgres", directory);
        }

        var data = Path.Combine(directory, "data");
        await RunAsync(root, Path.Combine(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C");
        var port = FreePort();
        await RunAsync(root, Path.Combine(bin, "pg_ctl"), "-D", data, "-l", Path.Combine(directory, "server.log"), "-w", "-t", "60", "start",
            "-o", $"-p {port} -c listen_addresses=127.0.0.1 -k {directory} -c max_connections=300" + (durable ? string.Empty : " -c fsync=off -c full_page_writes=off"));
        var server = new PostgresServer(directory, port);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                RunAsync(root, Path.Combine(bin, "pg_ctl"), "-D", data, "-m", "immediate", "stop").GetAwaiter().GetResult();
                System.IO.Directory.Delete(directory, recursive: true);
            }
            catch (Exception)
            {
                // The temporary folder is left; the server is gone with its postmaster.
            }
        };
        return server;
    }

    private static Task RunAsync(string file, params string[] args) => RunAsync(false, file, args);

    private static async Task RunAsync(bool asPostgres, string file, params string[] args)
    {
        var start = new ProcessStartInfo(asPostgres ? "runuser" : file) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (asPostgres)
        {
            foreach (var a in (string[])["-u", "postgres", "--", file])
            {
                start.ArgumentList.Add(a);
            }
        }

        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {await error}{await output}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
