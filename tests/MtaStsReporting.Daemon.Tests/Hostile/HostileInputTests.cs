using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Tests.Support;
using Xunit.Abstractions;
using static MtaStsReporting.Daemon.Tests.Support.Outcomes;

namespace MtaStsReporting.Daemon.Tests.Hostile;

/// <summary>
/// Malformed and hostile input at every entry point: gRPC (raw frames and messages), the report
/// import over gRPC, HTTPS uploads, the import command and an IMAP mailbox. Each gets a clear
/// error; meanwhile a well-behaved relay keeps being served, and nothing but the refusal log
/// changes in the store.
/// </summary>
public sealed class HostileInputTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly Lazy<List<HostileInput>> Payloads = new(() => HostileInputs.Payloads().ToList());
    private static readonly Lazy<List<HostileInput>> Mails = new(() => HostileInputs.Mails().ToList());

    private InProcessDaemon _daemon = null!;

    public async Task InitializeAsync() =>
        _daemon = await InProcessDaemon.StartAsync("--Ingestion:Https:Enabled=true", "--Ingestion:Https:Url=http://127.0.0.1:0");

    public async Task DisposeAsync() => await _daemon.DisposeAsync();

    /// <summary>What the store holds, apart from the refusal log.</summary>
    private static async Task<(int Reports, int Policies, int Failures, int InboundDays, int InboundFailures, long OutboundSessions)> StoredAsync(InProcessDaemon daemon)
    {
        await using var db = daemon.Store.Open();
        return (await db.TlsReports.CountAsync(), await db.TlsReportPolicies.CountAsync(), await db.TlsReportFailures.CountAsync(),
            await db.InboundDailyCounts.CountAsync(), await db.InboundDailyFailures.CountAsync(), await daemon.Store.TotalSessionsAsync());
    }

    /// <summary>A relay reporting outcomes (and a reader querying) all along, on connections of their own.</summary>
    private sealed class PoliteClients(InProcessDaemon daemon) : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly List<string> _errors = [];
        private Task? _loop;

        public int Acknowledged { get; private set; }

        public IReadOnlyList<string> Errors => _errors;

        public PoliteClients Start()
        {
            _loop = Task.Run(async () =>
            {
                using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(daemon.Url);
                var relay = new RelayOutcomes.RelayOutcomesClient(channel);
                var query = new Query.QueryClient(channel);
                for (var i = 0; !_stop.IsCancellationRequested; i++)
                {
                    try
                    {
                        await relay.ReportOutcomesAsync(Batch($"polite-{i}", Success("polite.example", InProcessDaemon.DefaultNow)), deadline: DateTime.UtcNow.AddSeconds(10));
                        Acknowledged++;
                        await query.ListDomainsAsync(new ListDomainsRequest(), deadline: DateTime.UtcNow.AddSeconds(10));
                    }
                    catch (RpcException ex)
                    {
                        _errors.Add($"{i}: {ex.StatusCode} {ex.Status.Detail}");
                    }

                    await Task.Delay(20);
                }
            });
            return this;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            if (_loop is not null)
            {
                await _loop;
            }

            _stop.Dispose();
        }
    }

    [Fact]
    public async Task Hostile_reports_over_grpc_and_https_get_clear_errors_while_others_are_served_and_store_nothing()
    {
        var polite = new PoliteClients(_daemon).Start();
        await Task.Delay(200);
        var import = new ReportImport.ReportImportClient(_daemon.Channel);
        using var http = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromSeconds(30) }) { BaseAddress = new Uri(_daemon.IngestionUrl!) };
        http.DefaultRequestHeaders.ExpectContinue = true;
        var refusals = 0;

        foreach (var input in Payloads.Value.Concat(Mails.Value))
        {
            var ex = await Assert.ThrowsAsync<RpcException>(() => import.ImportReportAsync(new ImportReportRequest { Content = ByteString.CopyFrom(input.Bytes) }).ResponseAsync);
            output.WriteLine($"gRPC import, {input.Name}: {ex.StatusCode} {ex.Status.Detail}");
            Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
            Assert.Contains(input.Error, ex.Status.Detail);
            refusals++;

            if (input.IsMail)
            {
                continue; // uploads carry payloads only
            }

            var content = new ByteArrayContent(input.Bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue(input.Bytes.Length > 1 && input.Bytes[0] == 0x1f ? "application/tlsrpt+gzip" : "application/tlsrpt+json");
            using var response = await http.PostAsync("/tlsrpt", content);
            var body = await response.Content.ReadAsStringAsync();
            output.WriteLine($"upload, {input.Name}: {(int)response.StatusCode} {body.Trim()}");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains(input.Error, body);
            refusals++;
        }

        await polite.DisposeAsync();
        Assert.Empty(polite.Errors);
        Assert.True(polite.Acknowledged > 0);
        Assert.Equal((0, 0, 0, 0, 0, (long)polite.Acknowledged), await StoredAsync(_daemon));

        // Each refusal is logged once, with a reason short enough to read.
        await using var db = _daemon.Store.Open();
        var rejections = await db.ReportRejections.ToListAsync();
        Assert.Equal(refusals, rejections.Count);
        Assert.All(rejections, r => Assert.InRange(r.Reason.Length, 10, 300));
    }

    /// <summary>Posts raw bytes to a gRPC method over HTTP/2 and returns the gRPC status it ends with.</summary>
    private async Task<(int Http, string? Status, string Message)> RawGrpcAsync(string method, byte[] body, string contentType = "application/grpc")
    {
        var target = _daemon.Url;
        using var http = new HttpClient();
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{target.TrimEnd('/')}/{method}")
        {
            Content = content,
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        using var response = await http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        string? Get(string name) =>
            response.TrailingHeaders.TryGetValues(name, out var t) ? t.First() : response.Headers.TryGetValues(name, out var h) ? h.First() : null;
        return ((int)response.StatusCode, Get("grpc-status"), Uri.UnescapeDataString(Get("grpc-message") ?? ""));
    }

    private static byte[] Frame(byte[] message, bool compressed = false, uint? claimedLength = null)
    {
        var frame = new byte[5 + message.Length];
        frame[0] = compressed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), claimedLength ?? (uint)message.Length);
        message.CopyTo(frame, 5);
        return frame;
    }

    [Fact]
    public async Task Broken_grpc_frames_and_messages_get_clear_statuses_while_others_are_served_and_store_nothing()
    {
        const string Relay = "mtasts.reporting.v1.RelayOutcomes/ReportOutcomes";
        var polite = new PoliteClients(_daemon).Start();
        await Task.Delay(200);
        var valid = Batch("hostile-frame", Success("hostile.example", InProcessDaemon.DefaultNow)).ToByteArray();
        var random = new byte[512];
        new Random(8461).NextBytes(random);
        byte[] invalidUtf8 = [0x0A, 0x02, 0xC3, 0x28]; // batch_id (field 1) holding an invalid UTF-8 sequence

        var cases = new (string Name, byte[] Body, string ContentType, int Http, string? Status, string Message)[]
        {
            ("truncated message", Frame(valid, claimedLength: (uint)valid.Length + 100), "application/grpc", 200, "13", "Incomplete message"),
            ("a frame claiming 2 GB", Frame(valid, claimedLength: int.MaxValue), "application/grpc", 200, "8", "exceeds the maximum"),
            // grpc-dotnet parses the message before any interceptor or handler runs and answers
            // UNKNOWN for bytes that are not the message; the daemon is not involved.
            ("random bytes as a message", Frame(random), "application/grpc", 200, "2", "Exception was thrown by handler"),
            ("invalid UTF-8 in a string", Frame(invalidUtf8), "application/grpc", 200, "2", "Exception was thrown by handler"),
            ("compressed flag without an encoding", Frame(valid, compressed: true), "application/grpc", 200, "13", "grpc-encoding"),
            ("a half frame header", [0, 0, 0], "application/grpc", 200, "13", "Incomplete message"),
            ("not gRPC at all", "{\"batchId\":\"x\"}"u8.ToArray(), "application/json", 415, "13", "is not supported"),
        };
        foreach (var c in cases)
        {
            var (httpStatus, status, message) = await RawGrpcAsync(Relay, c.Body, c.ContentType);
            output.WriteLine($"{c.Name}: HTTP {httpStatus}, grpc-status {status}, {message}");
            Assert.Equal((c.Http, c.Status), (httpStatus, status));
            Assert.Contains(c.Message, message);
        }

        // Well-formed messages with hostile values: refused with the field named.
        var relay = new RelayOutcomes.RelayOutcomesClient(_daemon.Channel);
        var longDomain = await Assert.ThrowsAsync<RpcException>(() => relay.ReportOutcomesAsync(Batch("hostile-long", Success(new string('a', 100_000) + ".example", InProcessDaemon.DefaultNow))).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, longDomain.StatusCode);
        Assert.Contains("session_outcomes[0].policy_domain", longDomain.Status.Detail);
        var controlChars = await Assert.ThrowsAsync<RpcException>(() => relay.ReportOutcomesAsync(Batch("hostile-ctl", Success("exa\u0000mple.com", InProcessDaemon.DefaultNow))).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, controlChars.StatusCode);

        await polite.DisposeAsync();
        Assert.Empty(polite.Errors);
        Assert.Equal((0, 0, 0, 0, 0, (long)polite.Acknowledged), await StoredAsync(_daemon));
        await using var db = _daemon.Store.Open();
        Assert.DoesNotContain(await db.RelayBatches.Select(b => b.BatchId).ToListAsync(), id => id.StartsWith("hostile", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_import_command_refuses_each_hostile_file_and_imports_the_good_one_beside_them()
    {
        using var folder = new TempDirectory();
        using var data = new TempDirectory();
        var files = new Dictionary<string, HostileInput>();
        var n = 0;
        foreach (var input in Payloads.Value.Concat(Mails.Value))
        {
            var extension = input.IsMail ? ".eml" : input.Bytes[0] switch { 0x1f => ".json.gz", (byte)'P' => ".zip", _ => ".json" };
            var name = $"{n++:D2}-{input.Name.Replace(' ', '-').Replace('/', '_')}{extension}";
            await File.WriteAllBytesAsync(Path.Combine(folder.Path, name), input.Bytes);
            files[Path.Combine(folder.Path, name)] = input;
        }

        var good = Path.Combine(folder.Path, "zz-good.json");
        await File.WriteAllBytesAsync(good, HostileInputs.ValidReport);

        var (exitCode, printed) = await DaemonProcess.RunToExitAsync(folder.Path, "import", folder.Path, $"--Storage:DataDirectory={data.Path}");

        Assert.Equal(1, exitCode);
        var lines = printed.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(l => l.GetProperty("file").GetString()!);
        foreach (var (path, input) in files)
        {
            var line = lines[path];
            output.WriteLine($"{input.Name}: {line.GetProperty("status").GetString()} {line.GetProperty("error").GetString()}");
            Assert.Contains(line.GetProperty("status").GetString(), new[] { "invalid", "not-a-report" });
            Assert.Contains(input.Error, line.GetProperty("error").GetString());
        }

        Assert.Equal("imported", lines[good].GetProperty("status").GetString());
        await using var db = new StoreReader(Path.Combine(data.Path, "mtasts-reporting.db")).Open();
        Assert.Equal(["hostile-1"], await db.TlsReports.Select(r => r.ReportId).ToListAsync());
    }

    [Fact]
    public async Task Hostile_mail_in_a_mailbox_is_set_aside_and_the_next_good_report_still_comes_in()
    {
        await using var dovecot = await DovecotServer.StartAsync();
        foreach (var mail in Mails.Value)
        {
            await dovecot.AppendAsync(mail.Bytes);
        }

        // A mailbox of TLS reports only: whatever is not one is moved out of the way too.
        await using var daemon = await InProcessDaemon.StartAsync([.. dovecot.MailboxArgs(), "--Ingestion:Mailboxes:0:OtherMail=Move"]);
        await DovecotServer.EventuallyAsync(async () => (await dovecot.MessageIdsAsync("INBOX")).Count == 0, "INBOX emptied", seconds: 60);
        // Broken reports to Invalid, mail that carries no report at all to Other.
        var (invalid, other) = ((await dovecot.MessageIdsAsync("TLSRPT/Invalid")).Count, (await dovecot.MessageIdsAsync("TLSRPT/Other")).Count);
        output.WriteLine($"invalid {invalid}, other {other}");
        Assert.Equal(Mails.Value.Count, invalid + other);
        Assert.True(invalid > 0 && other > 0, $"invalid {invalid}, other {other}");
        Assert.Equal((0, 0, 0, 0, 0, 0L), await StoredAsync(daemon));

        await using (var db = daemon.Store.Open())
        {
            var reasons = await db.ReportRejections.Select(r => r.Reason).ToListAsync();
            reasons.ForEach(output.WriteLine);
            foreach (var mail in Mails.Value)
            {
                Assert.Contains(reasons, r => r.Contains(mail.Error, StringComparison.Ordinal));
            }
        }

        await dovecot.AppendAsync(TestReports.ReportMail("hostile-good-1"));
        await DovecotServer.EventuallyAsync(async () => (await dovecot.MessageIdsAsync("TLSRPT/Processed")).Count == 1, "the good report processed", seconds: 30);
        Assert.Equal(1, (await StoredAsync(daemon)).Reports);
    }
}
