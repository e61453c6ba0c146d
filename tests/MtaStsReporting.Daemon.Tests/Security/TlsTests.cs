using MtaStsReporting.Domain.Access;
using Microsoft.Extensions.Logging;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Hosting;
using MtaStsReporting.Daemon.Tests.Support;
using MtaStsReporting.Persistence.Security;
using static MtaStsReporting.Daemon.Tests.Support.Outcomes;

namespace MtaStsReporting.Daemon.Tests.Security;

/// <summary>The API over TLS: the certificate from files and its reload, the cleartext rule, client certificates mapped to roles.</summary>
public sealed class TlsTests : IDisposable
{
    private readonly TempDirectory _files = new();
    private readonly TestPki _pki = new();

    public void Dispose()
    {
        _pki.Dispose();
        _files.Dispose();
    }

    /// <summary>A channel that trusts the test CA only, presents the client certificate if any, and records the server certificate it saw.</summary>
    private GrpcChannel Channel(string url, X509Certificate2? clientCertificate, List<string>? seen = null)
    {
        var ca = _pki.Authority;
        var handler = new SocketsHttpHandler
        {
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    if (certificate is not X509Certificate2 server)
                    {
                        return false;
                    }

                    seen?.Add(server.Subject);
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(server);
                },
                ClientCertificates = clientCertificate is null ? null : new X509CertificateCollection { clientCertificate },
            },
        };
        return GrpcChannel.ForAddress(url, new GrpcChannelOptions { HttpHandler = handler });
    }

    private static async Task<HealthCheckResponse.Types.ServingStatus> HealthAsync(GrpcChannel channel) =>
        (await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest())).Status;

    [Fact]
    public async Task The_api_speaks_tls_from_certificate_files_and_serves_a_renewed_certificate_without_a_restart()
    {
        var (certificateFile, keyFile) = TestPki.WritePem(_pki.Issue("127.0.0.1", "localhost"), _files.Path, "api");
        await using var daemon = await InProcessDaemon.StartAsync(
            "--urls=https://127.0.0.1:0", $"--Grpc:CertificateFile={certificateFile}", $"--Grpc:KeyFile={keyFile}");
        var url = daemon.Url;
        Assert.StartsWith("https://127.0.0.1:", url);

        var seen = new List<string>();
        using (var channel = Channel(url, null, seen))
        {
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await HealthAsync(channel));
            var listed = await new Query.QueryClient(channel).ListDomainsAsync(new ListDomainsRequest());
            Assert.Empty(listed.Domains);
        }

        Assert.Equal(["CN=127.0.0.1"], seen.Distinct());

        // A renewal half-way (the certificate file rewritten, not yet a matching key) keeps the
        // old one in service: the files are checked at most once a second, on a handshake.
        await File.WriteAllTextAsync(certificateFile, "-----BEGIN CERTIFICATE-----\nnot finished");
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.Equal("CN=127.0.0.1", await ServedAsync(url));

        // The renewed pair is served to new connections, with no restart and nothing called by hand.
        TestPki.WritePem(_pki.Issue("renewed.localhost", "127.0.0.1"), _files.Path, "api");
        await ServedEventuallyAsync(url, "CN=renewed.localhost");
    }

    [Fact]
    public async Task A_kubernetes_secret_renewed_by_swapping_its_data_symlink_is_served()
    {
        // The layout kubelet writes: tls.crt -> ..data/tls.crt, ..data -> ..<timestamp>/ (a directory).
        var volume = Path.Combine(_files.Path, "secret");
        Directory.CreateDirectory(volume);
        void WriteVersion(string name, string subject)
        {
            var dir = Path.Combine(volume, name);
            Directory.CreateDirectory(dir);
            var (crt, key) = TestPki.WritePem(_pki.Issue(subject, "127.0.0.1"), dir, "tls");
            File.Move(crt, Path.Combine(dir, "tls.crt"));
            File.Move(key, Path.Combine(dir, "tls.key"));
        }

        WriteVersion("..2026_11_29_first", "first.localhost");
        File.CreateSymbolicLink(Path.Combine(volume, "..data"), "..2026_11_29_first");
        File.CreateSymbolicLink(Path.Combine(volume, "tls.crt"), "..data/tls.crt");
        File.CreateSymbolicLink(Path.Combine(volume, "tls.key"), "..data/tls.key");
        await using var daemon = await InProcessDaemon.StartAsync(
            "--urls=https://127.0.0.1:0", $"--Grpc:CertificateFile={Path.Combine(volume, "tls.crt")}", $"--Grpc:KeyFile={Path.Combine(volume, "tls.key")}");
        Assert.Equal("CN=first.localhost", await ServedAsync(daemon.Url));

        // The renewal: a new directory, then ..data swapped to it in one rename.
        WriteVersion("..2026_11_30_second", "second.localhost");
        File.CreateSymbolicLink(Path.Combine(volume, "..data_tmp"), "..2026_11_30_second");
        Command.RunChecked("mv", "-T", Path.Combine(volume, "..data_tmp"), Path.Combine(volume, "..data"));

        await ServedEventuallyAsync(daemon.Url, "CN=second.localhost");
    }

    /// <summary>The subject of the certificate a new connection is served.</summary>
    private async Task<string> ServedAsync(string url)
    {
        var seen = new List<string>();
        using (var channel = Channel(url, null, seen))
        {
            try
            {
                await HealthAsync(channel);
            }
            catch (RpcException)
            {
                // A certificate the test CA does not trust fails the call; the subject was seen.
            }
        }

        return seen.Distinct().Single();
    }

    private async Task ServedEventuallyAsync(string url, string subject)
    {
        var served = string.Empty;
        for (var i = 0; i < 40 && served != subject; i++)
        {
            await Task.Delay(250);
            served = await ServedAsync(url);
        }

        Assert.Equal(subject, served);
    }

    [Fact]
    public async Task Cleartext_off_loopback_is_refused_unless_allowed_and_tls_off_loopback_is_accepted()
    {
        var (certificateFile, keyFile) = TestPki.WritePem(_pki.Issue("127.0.0.1"), _files.Path, "api");

        var cleartext = await Assert.ThrowsAsync<OptionsValidationFailure>(() =>
            InProcessDaemon.StartAsync("--urls=http://0.0.0.0:0", "--Security:Authentication=ApiKeys"));
        Assert.Contains("cleartext on a non-loopback address", cleartext.Message);
        Assert.Contains("Grpc:AllowCleartext", cleartext.Message);

        var noCertificate = await Assert.ThrowsAsync<OptionsValidationFailure>(() =>
            InProcessDaemon.StartAsync("--urls=https://127.0.0.1:0"));
        Assert.Contains("Grpc:CertificateFile and Grpc:KeyFile are required", noCertificate.Message);

        var badKey = await Assert.ThrowsAsync<OptionsValidationFailure>(() =>
            InProcessDaemon.StartAsync("--urls=https://127.0.0.1:0", $"--Grpc:CertificateFile={certificateFile}", $"--Grpc:KeyFile={certificateFile}"));
        Assert.StartsWith("Grpc:CertificateFile: cannot load certificate", badKey.Message);

        var missing = await Assert.ThrowsAsync<OptionsValidationFailure>(() =>
            InProcessDaemon.StartAsync("--urls=https://127.0.0.1:0", $"--Grpc:CertificateFile={certificateFile}.missing", $"--Grpc:KeyFile={keyFile}"));
        Assert.StartsWith("Grpc:CertificateFile: cannot load certificate", missing.Message);

        // TLS on every address with keys required: it starts, and a loopback client gets the key check.
        await using var daemon = await InProcessDaemon.StartAsync(
            "--urls=https://0.0.0.0:0", "--Security:Authentication=ApiKeys", $"--Grpc:CertificateFile={certificateFile}", $"--Grpc:KeyFile={keyFile}");
        var port = new Uri(daemon.Url).Port;
        using var channel = Channel($"https://127.0.0.1:{port}", null);
        var ex = await Assert.ThrowsAsync<RpcException>(() => new Query.QueryClient(channel).ListDomainsAsync(new ListDomainsRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);

        // Cleartext on every address when a TLS proxy in front is declared: it starts, and keys still apply.
        await using var behindProxy = await InProcessDaemon.StartAsync(
            "--urls=http://0.0.0.0:0", "--Security:Authentication=ApiKeys", "--Grpc:AllowCleartext=true", "--HttpApi:Url=http://0.0.0.0:0");
        Assert.StartsWith("http://", behindProxy.Url);
        Assert.DoesNotContain("127.0.0.1", behindProxy.Url);
        using var plain = GrpcChannel.ForAddress($"http://127.0.0.1:{new Uri(behindProxy.Url).Port}");
        var refused = await Assert.ThrowsAsync<RpcException>(() => new Query.QueryClient(plain).ListDomainsAsync(new ListDomainsRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        var key = (await behindProxy.Services.GetRequiredService<ApiKeyStore>().CreateAsync("reader", Role.Reader, CancellationToken.None)).Key;
        Assert.Empty((await new Query.QueryClient(plain).ListDomainsAsync(new ListDomainsRequest(), new Metadata { { "x-api-key", key } })).Domains);
    }

    [Fact]
    public async Task Client_certificates_map_to_roles_and_foreign_ones_fail_the_handshake()
    {
        var (certificateFile, keyFile) = TestPki.WritePem(_pki.Issue("127.0.0.1"), _files.Path, "api");
        var caFile = _pki.WriteAuthorityPem(_files.Path);
        using var relayCertificate = _pki.IssueClient("relay-1.example");
        using var unmapped = _pki.IssueClient("intruder.example");
        using var pinned = SelfSigned("dashboard");
        using var otherPki = new TestPki();
        using var impostor = otherPki.IssueClient("relay-1.example");

        await using var daemon = await InProcessDaemon.StartAsync(
            "--urls=https://127.0.0.1:0", "--Security:Authentication=ApiKeys",
            $"--Grpc:CertificateFile={certificateFile}", $"--Grpc:KeyFile={keyFile}",
            $"--Security:ClientCertificates:TrustedCaFile={caFile}",
            "--Security:ClientCertificates:Identities:0:Name=relay-1", "--Security:ClientCertificates:Identities:0:SubjectName=relay-1.example", "--Security:ClientCertificates:Identities:0:Role=Relay",
            "--Security:ClientCertificates:Identities:1:Name=dashboard", $"--Security:ClientCertificates:Identities:1:Sha256={pinned.GetCertHashString(HashAlgorithmName.SHA256)}", "--Security:ClientCertificates:Identities:1:Role=Reader");
        var url = daemon.Url;
        var batch = Batch("mtls-1", Success("example.com", InProcessDaemon.DefaultNow));

        async Task<StatusCode> Relay(GrpcChannel channel, Metadata? headers = null)
        {
            try
            {
                await new RelayOutcomes.RelayOutcomesClient(channel).ReportOutcomesAsync(batch, headers);
                return StatusCode.OK;
            }
            catch (RpcException ex)
            {
                return ex.StatusCode;
            }
        }

        async Task<StatusCode> Read(GrpcChannel channel)
        {
            try
            {
                await new Query.QueryClient(channel).ListDomainsAsync(new ListDomainsRequest());
                return StatusCode.OK;
            }
            catch (RpcException ex)
            {
                return ex.StatusCode;
            }
        }

        using (var asRelay = Channel(url, relayCertificate))
        {
            Assert.Equal((StatusCode.OK, StatusCode.PermissionDenied), (await Relay(asRelay), await Read(asRelay)));
        }

        using (var asDashboard = Channel(url, pinned))
        {
            Assert.Equal((StatusCode.PermissionDenied, StatusCode.OK), (await Relay(asDashboard), await Read(asDashboard)));
        }

        using (var anonymous = Channel(url, null))
        {
            Assert.Equal((StatusCode.Unauthenticated, StatusCode.Unauthenticated), (await Relay(anonymous), await Read(anonymous)));
            // No certificate, but a key: keys still work on the same listener.
            var key = (await daemon.Services.GetRequiredService<ApiKeyStore>().CreateAsync("relay key", Role.Relay, CancellationToken.None)).Key;
            Assert.Equal(StatusCode.OK, await Relay(anonymous, new Metadata { { "x-api-key", key } }));
        }

        // The same subject from another CA, and a name from our CA that is not mapped: no handshake.
        // With TLS 1.3 the client finishes its side before the server refuses the certificate, so
        // the refusal reaches it as a connection the server closed before HTTP/2 began: gRPC calls
        // that UNAVAILABLE or INTERNAL depending on timing, never an answer from the server.
        foreach (var stranger in new[] { impostor, unmapped })
        {
            using var channel = Channel(url, stranger);
            var refused = await Assert.ThrowsAsync<RpcException>(() => new RelayOutcomes.RelayOutcomesClient(channel).ReportOutcomesAsync(batch).ResponseAsync);
            Assert.Contains(refused.StatusCode, new[] { StatusCode.Unavailable, StatusCode.Internal });
            Assert.IsType<HttpRequestException>(refused.Status.DebugException);
            Assert.Contains("the server did not complete the HTTP/2 handshake", refused.Status.Detail);
        }

        // Only the calls that were allowed stored anything: the batch once (its retry under the key is the same id).
        Assert.Equal(1, await daemon.Store.TotalSessionsAsync());

        // Each refusal is logged with its reason, so that an expired or foreign certificate is not taken for a network fault.
        var refusals = daemon.Logs.Lines.Where(l => l.Message.Contains("refused at the TLS handshake", StringComparison.Ordinal)).Select(l => l.Message).ToList();
        Assert.Contains(refusals, m => m.StartsWith("Client certificate CN=relay-1.example", StringComparison.Ordinal)
            && m.Contains("is listed as 'relay-1', but the certificate does not chain to Security:ClientCertificates:TrustedCaFile", StringComparison.Ordinal));
        Assert.Contains(refusals, m => m.StartsWith("Client certificate CN=intruder.example", StringComparison.Ordinal)
            && m.Contains("not listed: neither its SHA-256 nor its subject name 'intruder.example'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Tls_clients_without_http2_are_closed_with_a_throttled_line_not_an_error_each()
    {
        var (certificateFile, keyFile) = TestPki.WritePem(_pki.Issue("127.0.0.1"), _files.Path, "api");
        await using var daemon = await InProcessDaemon.StartAsync("--urls=https://127.0.0.1:0", $"--Grpc:CertificateFile={certificateFile}", $"--Grpc:KeyFile={keyFile}");
        var port = new Uri(daemon.Url).Port;

        // 30 TLS clients that offer no ALPN at all (a scanner, a load balancer's TLS health check).
        for (var i = 0; i < 30; i++)
        {
            using var tcp = new System.Net.Sockets.TcpClient();
            await tcp.ConnectAsync("127.0.0.1", port);
            using var tls = new System.Net.Security.SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
            await tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions { TargetHost = "127.0.0.1" });
            await tls.WriteAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
            Assert.Equal(0, await tls.ReadAsync(new byte[100])); // closed, no answer
        }

        var lines = daemon.Logs.Lines;
        Assert.Equal(20, lines.Count(l => l.Message.Contains("did not negotiate HTTP/2", StringComparison.Ordinal) && l.Level == LogLevel.Information));
        Assert.DoesNotContain(lines, l => l.Level >= LogLevel.Error);

        // gRPC clients are served as before.
        using var channel = Channel(daemon.Url, null);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await HealthAsync(channel));
    }

    [Fact]
    public async Task The_readiness_command_reaches_a_tls_daemon_with_a_private_ca_and_a_key_file()
    {
        var (certificateFile, keyFile) = TestPki.WritePem(_pki.Issue("127.0.0.1"), _files.Path, "api");
        var caFile = _pki.WriteAuthorityPem(_files.Path);
        await using var daemon = await InProcessDaemon.StartAsync(
            "--urls=https://127.0.0.1:0", "--Security:Authentication=ApiKeys", $"--Grpc:CertificateFile={certificateFile}", $"--Grpc:KeyFile={keyFile}");
        var url = daemon.Url;
        var apiKeyFile = Path.Combine(_files.Path, "reader.key");
        await File.WriteAllTextAsync(apiKeyFile, (await daemon.Services.GetRequiredService<ApiKeyStore>().CreateAsync("ci", Role.Reader, CancellationToken.None)).Key + "\n");
        using var otherPki = new TestPki();
        var otherCa = Path.Combine(_files.Path, "other");
        Directory.CreateDirectory(otherCa);

        // A domain name that is refused after the key check: the answer shows the call got through.
        var (withKey, withKeyOut) = await DaemonProcess.RunToExitAsync(_files.Path, "readiness", "not a domain", "--url", url, "--ca-file", caFile, "--key-file", apiKeyFile);
        var (noKey, noKeyOut) = await DaemonProcess.RunToExitAsync(_files.Path, "readiness", "not a domain", "--url", url, "--ca-file", caFile);
        var (wrongCa, wrongCaOut) = await DaemonProcess.RunToExitAsync(_files.Path, "readiness", "not a domain", "--url", url, "--ca-file", otherPki.WriteAuthorityPem(otherCa), "--key-file", apiKeyFile);

        Assert.Equal((2, 2, 2), (withKey, noKey, wrongCa));
        Assert.Contains("InvalidArgument", withKeyOut);
        Assert.Contains("Unauthenticated", noKeyOut);
        Assert.Contains("SSL connection could not be established", wrongCaOut);
    }

    private static X509Certificate2 SelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }
}
