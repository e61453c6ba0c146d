using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Tests.Support;
using static MtaStsReporting.Daemon.Tests.Support.TestReports;

namespace MtaStsReporting.Daemon.Tests.Ingestion;

/// <summary>Reports POSTed over HTTPS (RFC 8460 §5.4) and imported over gRPC, against the real listener.</summary>
public sealed class UploadTests : IAsyncLifetime
{
    private readonly TempDirectory _certs = new();
    private X509Certificate2 _certificate = null!;
    private InProcessDaemon _daemon = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        // A certificate of the test's own for 127.0.0.1; the client trusts exactly it.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certFile = Path.Combine(_certs.Path, "cert.pem");
        var keyFile = Path.Combine(_certs.Path, "key.pem");
        await File.WriteAllTextAsync(certFile, _certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem());

        _daemon = await InProcessDaemon.StartAsync(
            "--Ingestion:Https:Enabled=true", "--Ingestion:Https:Url=https://127.0.0.1:0",
            $"--Ingestion:Https:CertificateFile={certFile}", $"--Ingestion:Https:KeyFile={keyFile}",
            "--Ingestion:Limits:MaxMessageBytes=200000");
        var thumbprint = _certificate.Thumbprint;
        _http = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => cert?.GetCertHashString() == thumbprint },
            // A refused upload (413) is answered before the body is read, and the server then closes
            // the connection. A client that is still writing the body sees a reset instead of the
            // answer; "Expect: 100-continue" is how HTTP avoids that race, so the tests use it, with a
            // wait long enough that a slow CI machine does not start the body early.
            Expect100ContinueTimeout = TimeSpan.FromSeconds(30),
        })
        { BaseAddress = new Uri(_daemon.IngestionUrl!) };
        _http.DefaultRequestHeaders.ExpectContinue = true;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _daemon.DisposeAsync();
        _certificate.Dispose();
        _certs.Dispose();
    }

    private Task<HttpResponseMessage> PostAsync(byte[] body, string mediaType)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return _http.PostAsync("/tlsrpt", content);
    }

    [Fact]
    public async Task A_gzip_report_is_accepted_once_and_a_second_copy_is_a_duplicate()
    {
        var report = Gzip(TestReports.Report("upload-1", "example.com", "Upload Reporter", successes: 53));

        var first = await PostAsync(report, "application/tlsrpt+gzip");
        var second = await PostAsync(report, "application/tlsrpt+gzip");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var json = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(("imported", "Upload Reporter", 53), (json.GetProperty("status").GetString(), json.GetProperty("organization").GetString(), json.GetProperty("successCount").GetInt32()));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Contains("\"duplicate\"", await second.Content.ReadAsStringAsync());
        await using var db = _daemon.Store.Open();
        var stored = await db.TlsReports.SingleAsync();
        Assert.Equal(("https", "127.0.0.1", "application/gzip"), (stored.SourceKind, stored.SourceName, stored.OriginalMediaType));
    }

    [Fact]
    public async Task Bad_uploads_get_a_4xx_with_the_reason_and_store_nothing()
    {
        var broken = await PostAsync("{\"organization-name\": \"x\", "u8.ToArray(), "application/tlsrpt+json");
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
        Assert.Contains("not valid JSON", await broken.Content.ReadAsStringAsync());

        var wrongType = await PostAsync(TestReports.Report("upload-2", "example.com", "Upload Reporter"), "text/html");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, wrongType.StatusCode);

        var tooLarge = await PostAsync(new byte[300_000], "application/tlsrpt+json");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);

        // 64 MiB of zeros in a gzip of about 64 KiB: refused once 20 MiB are out.
        var bomb = Gzip(new byte[64 * 1024 * 1024]);
        var bombed = await PostAsync(bomb, "application/tlsrpt+gzip");
        Assert.Equal(HttpStatusCode.BadRequest, bombed.StatusCode);
        Assert.Contains("decompresses to more than", await bombed.Content.ReadAsStringAsync());

        await using var db = _daemon.Store.Open();
        Assert.Equal(0, await db.TlsReports.CountAsync());
    }

    [Fact]
    public async Task The_upload_route_is_not_served_on_the_grpc_port()
    {
        using var grpcPort = new HttpClient { BaseAddress = new Uri(_daemon.Url), DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        var content = new ByteArrayContent(TestReports.Report("upload-3", "example.com", "Upload Reporter"));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/tlsrpt+json");
        var response = await grpcPort.PostAsync("/tlsrpt", content);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    // The upload listener faces reporters on the internet without credentials: nothing of the
    // API, the metrics or the dashboard may answer there, whatever Security:Authentication says.
    [InlineData("GET", "/v1/domains")]
    [InlineData("GET", "/v1/outbound/settings")]
    [InlineData("PATCH", "/v1/outbound/settings")]
    [InlineData("GET", "/metrics")]
    [InlineData("GET", "/dashboard/")]
    [InlineData("GET", "/")]
    [InlineData("GET", "/tlsrpt")]
    [InlineData("POST", "/mtasts.reporting.v1.ReportImport/ImportReport")]
    public async Task Only_the_upload_route_answers_on_the_upload_listener(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "GET" ? null : new StringContent("{}", System.Text.Encoding.UTF8, "application/json") };
        request.Headers.ExpectContinue = false;

        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_second_version_under_the_same_id_is_a_conflict_and_the_first_is_kept()
    {
        var client = new ReportImport.ReportImportClient(_daemon.Channel);
        ImportReportRequest Version(long successes) => new() { Content = ByteString.CopyFrom(TestReports.Report("v-1", "example.com", "Versioned Reporter", successes)) };

        var first = await client.ImportReportAsync(Version(10));
        var resent = await client.ImportReportAsync(Version(10));
        var second = await client.ImportReportAsync(Version(12));

        Assert.Equal(("imported", "duplicate", "duplicate-conflict"), (first.Status, resent.Status, second.Status));
        Assert.Equal(string.Empty, resent.Conflict);
        Assert.Equal("differs from the stored copy: 12 successful and 0 failed sessions in 1 policies with 0 failed sessions in details here, " +
            "10 successful and 0 failed sessions in 1 policies with 0 failed sessions in details stored (the first is kept)", second.Conflict);
        await using var db = _daemon.Store.Open();
        Assert.Equal(10, (await db.TlsReports.SingleAsync(r => r.ReportId == "v-1")).SuccessCount);
        var recorded = await db.ReportRejections.SingleAsync();
        Assert.Equal(("duplicate-conflict", "Versioned Reporter report v-1 " + second.Conflict), (recorded.Status, recorded.Reason));
    }

    [Fact]
    public async Task Admins_import_a_mail_over_grpc()
    {
        var client = new ReportImport.ReportImportClient(_daemon.Channel);
        // Microsoft writes its dates without a time zone: the import keeps them and says so.
        var report = TestReports.Report("133198585438131172+test.example", "test.example", "Microsoft Corporation", successes: 2,
            start: "2026-11-20T00:00:00", end: "2026-11-20T23:59:59");
        var mail = ByteString.CopyFrom(TestReports.Mail(TestReports.Attachment("outer", "application/tlsrpt+gzip", TestReports.Gzip(report))));

        var imported = await client.ImportReportAsync(new ImportReportRequest { Content = mail, Kind = ImportReportRequest.Types.Kind.Mail });
        var again = await client.ImportReportAsync(new ImportReportRequest { Content = mail });

        Assert.Equal(("imported", "Microsoft Corporation", 2L), (imported.Status, imported.Organization, imported.SuccessCount));
        Assert.Contains(imported.Flags, f => f.StartsWith("date-without-time-zone", StringComparison.Ordinal));
        Assert.Equal(["test.example"], imported.PolicyDomains);
        Assert.Equal("duplicate", again.Status);

        var ex = await Assert.ThrowsAsync<RpcException>(() => client.ImportReportAsync(new ImportReportRequest { Content = ByteString.CopyFromUtf8("hello") }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("not-a-report", ex.Status.Detail);
    }
}
