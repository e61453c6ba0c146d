using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using MtaStsReporting.Persistence.RelayOutcomes;
using MtaStsReporting.Persistence.Store;
using D = MtaStsReporting.Domain;

namespace MtaStsReporting.Bench;

/// <summary>
/// The outbound reports of one day: a store loaded (with the daemon's own write code) with
/// yesterday's relay outcomes to N recipient domains, each with the TLSRPT record its relay saw
/// (an https: destination, so no DNS), then the daemon started with sending on. Measures the
/// time to build and store every report, the time until every one has been POSTed to a local
/// HTTPS sink (each attempt committed before and after), and the daemon's peak memory.
/// </summary>
internal static class OutboundBenchmark
{
    public static async Task RunAsync(int domains, int rounds, int parallel, string storeKind)
    {
        var figures = new List<(double Build, double Send, double PeakMb)>();
        for (var round = 1; round <= rounds; round++)
        {
            var dataDir = Directory.CreateTempSubdirectory("mtasts-outbound-bench-").FullName;
            try
            {
                var (storeArgs, postgres) = await BenchStore.FreshAsync(storeKind);
                var settings = postgres ?? StoreSettings.SqliteFile(Path.Combine(dataDir, "mtasts-reporting.db"));
                await using var sink = await Sink.StartAsync();
                var load = Stopwatch.StartNew();
                await LoadAsync(settings, domains, sink.Url);
                Console.WriteLine($"round {round}: loaded yesterday's outcomes to {domains:N0} domains in {load.Elapsed.TotalSeconds:N1} s");

                var dkim = Path.Combine(dataDir, "dkim.pem");
                using (var rsa = RSA.Create(2048))
                {
                    await File.WriteAllTextAsync(dkim, rsa.ExportRSAPrivateKeyPem());
                }

                var ca = Path.Combine(dataDir, "sink.pem");
                await File.WriteAllTextAsync(ca, sink.CertificatePem);
                var started = Stopwatch.StartNew();
                await using var daemon = await Daemon.StartAsync(null, dataDir,
                [
                    .. storeArgs, "--Outbound:Enabled=true", "--Outbound:OrganizationName=Bench Org", "--Outbound:ContactInfo=mailto:postmaster@bench.example",
                    "--Outbound:SubmitterDomain=bench.example", "--Outbound:BuildDelay=0s", "--Outbound:SpreadWindow=0s", $"--Outbound:MaxParallelDeliveries={parallel}",
                    $"--Outbound:HttpsTrustedCaFile={ca}", "--Outbound:Mail:Host=127.0.0.1", $"--Outbound:Mail:DkimKeyFile={dkim}", "--Outbound:Mail:DkimSelector=bench",
                ]);

                await using var store = new ReportingStore(settings, TimeProvider.System);
                double? built = null;
                while (sink.Received < domains)
                {
                    await Task.Delay(100);
                    if (built is null && await CountAsync(store, "SELECT COUNT(*) FROM outbound_days") == domains)
                    {
                        built = started.Elapsed.TotalSeconds;
                    }

                    if (started.Elapsed > TimeSpan.FromMinutes(30))
                    {
                        throw new TimeoutException($"{sink.Received:N0} of {domains:N0} reports arrived in 30 minutes");
                    }
                }

                var sent = started.Elapsed.TotalSeconds;
                built ??= sent;
                var delivered = await CountAsync(store, "SELECT COUNT(*) FROM outbound_deliveries WHERE state = 'delivered'");
                var peak = daemon.PeakMemoryBytes() / 1024.0 / 1024.0;
                figures.Add((built.Value, sent, peak));
                Console.WriteLine($"round {round}: {domains:N0} reports built and stored {built:N1} s after start ({domains / built:N0}/s), " +
                    $"all POSTed {sent:N1} s after start ({domains / (sent - built):N0}/s sending; {sink.Received:N0} received, {delivered:N0} recorded delivered), " +
                    $"{sink.Bytes / domains:N0} B gzip each, daemon peak {peak:N0} MB");
            }
            finally
            {
                Directory.Delete(dataDir, recursive: true);
            }
        }

        Console.WriteLine($"median of {rounds} rounds ({Environment.ProcessorCount} cores, store {storeKind}, {parallel} deliveries at a time): " +
            $"{domains:N0} reports built in {Stats.Median(figures.Select(f => f.Build)):N1} s, all delivered {Stats.Median(figures.Select(f => f.Send)):N1} s after start, " +
            $"daemon peak {Stats.Median(figures.Select(f => f.PeakMb)):N0} MB");
    }

    /// <summary>Yesterday: per domain a few hundred sessions under one MTA-STS policy, a failure detail for one domain in four, and the relay's record.</summary>
    private static async Task LoadAsync(StoreSettings settings, int domains, string sinkUrl)
    {
        await using var store = new ReportingStore(settings, TimeProvider.System);
        await store.MigrateAsync(CancellationToken.None);
        store.Open();
        var at = DateTimeOffset.UtcNow.AddDays(-1);
        var day = DateOnly.FromDateTime(at.UtcDateTime);
        const int Chunk = 5_000;
        for (var first = 0; first < domains; first += Chunk)
        {
            var delta = new D.RelayOutcomes.DailyOutcomeDelta();
            for (var i = first; i < Math.Min(domains, first + Chunk); i++)
            {
                var domain = $"r{i:D6}.example";
                var name = D.Names.DomainName.Parse(domain);
                var policy = new D.RelayOutcomes.AppliedPolicy(D.TlsRpt.PolicyType.Sts, ["version: STSv1", "mode: testing", $"mx: mx.{domain}", "max_age: 604800"], [$"mx.{domain}"]);
                delta.Add(new D.RelayOutcomes.SessionOutcome(name, at, policy, 100 + i % 400, null));
                if (i % 4 == 0)
                {
                    delta.Add(new D.RelayOutcomes.SessionOutcome(name, at, policy, 1 + i % 7,
                        new D.RelayOutcomes.FailureDetail(new D.TlsRpt.ResultType("certificate-expired"), "198.51.100.7", $"mx.{domain}", null, "192.0.2.9", null, null)));
                }

                delta.AddTlsRptRecord(day, name, $"v=TLSRPTv1; rua={sinkUrl}/{domain}");
            }

            await store.Relay.CommitAsync(new PendingBatch($"bench-{first}", delta), CancellationToken.None);
        }
    }

    private static async Task<long> CountAsync(ReportingStore store, string sql)
    {
        await using var c = await store.OpenReaderAsync(CancellationToken.None);
        await using var command = Statement.Query(c, sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    /// <summary>An RFC 8460 §5.4 endpoint on 127.0.0.1 (as localhost) that takes every POST with 200 and counts it.</summary>
    private sealed class Sink : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private long _received;
        private long _bytes;

        private Sink(WebApplication app, string url, string pem)
        {
            _app = app;
            Url = url;
            CertificatePem = pem;
        }

        public string Url { get; }

        public string CertificatePem { get; }

        public long Received => Interlocked.Read(ref _received);

        public long Bytes => Interlocked.Read(ref _bytes);

        public static async Task<Sink> StartAsync()
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName("localhost");
            request.CertificateExtensions.Add(san.Build());
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
            var certificate = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
            var port = FreePort();
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.UseHttps(certificate)));
            var app = builder.Build();
            Sink? sink = null;
            app.MapPost("/{**path}", async (HttpContext context) =>
            {
                var buffer = new byte[16 * 1024];
                long length = 0;
                int n;
                while ((n = await context.Request.Body.ReadAsync(buffer)) > 0)
                {
                    length += n;
                }

                Interlocked.Add(ref sink!._bytes, length);
                Interlocked.Increment(ref sink._received);
                return Results.Ok();
            });
            await app.StartAsync();
            sink = new Sink(app, $"https://localhost:{port}", certificate.ExportCertificatePem());
            return sink;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        private static int FreePort()
        {
            using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
