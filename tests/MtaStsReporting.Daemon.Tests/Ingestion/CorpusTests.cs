using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MtaStsReporting.Daemon.Ingestion;
using MtaStsReporting.Daemon.Tests.Support;
using MtaStsReporting.Domain.TlsRpt;

namespace MtaStsReporting.Daemon.Tests.Ingestion;

/// <summary>Every file of ../shared/corpus through the import path, totals checked against sums made by hand.</summary>
public sealed class CorpusTests
{
    // file, organisation, report-id, sum of total-successful-session-count, sum of total-failure-session-count
    // (summed independently of this code from the JSON in each file).
    public static TheoryData<string, string, string, long, long> Reports => new()
    {
        { "DmarcAnalyzerApp/sample-google-tls.json", "Example Mail Provider", "2026-08-01T00:00:00Z_acme.example", 160, 3 },
        { "DmarcAnalyzerApp/sample-lenient-tls.json", "Quirky Reporter", "quirky-001", 43, 7 },
        { "DmarcAnalyzerApp/sample-rfc8460-tls.json", "Company-X", "5065427c-23d3-47ca-b6e0-946ea0e8c4be", 5326, 303 },
        { "DmarcAnalyzerApp/sample-successonly-tls.json", "Clean Reporter", "clean-42", 5000, 0 },
        { "deltachat-core-rust/tlsrpt.eml", "Google Inc.", "2024-01-20T00:00:00Z_nine.testrun.org", 7, 0 },
        { "dmarc-report-viewer/google.json", "Google Inc.", "2025-05-22T00:00:00Z_foo-bar.io", 1, 0 },
        { "dmarc-report-viewer/microsoft.json", "Microsoft Corporation", "133925885310113267+random.net", 4, 0 },
        { "dmarc-report-viewer/no-contact.json", "server.com", "123_456", 1, 0 },
        { "dmarc-report-viewer/no-policy.json", "Google Inc.", "2025-03-27T00:00:00Z_foo-bar.io", 1, 0 },
        { "dmarc-report-viewer/no_ip_and_mx.json", "Microsoft Corporation", "1234567890+", 0, 3 },
        { "dmarc-report-viewer/rfc-example.json", "Company-X", "5065427c-23d3-47ca-b6e0-946ea0e8c4be", 5326, 303 },
        { "email-report-processor/google.com!example.com!1667520000!1667606399!001.json", "Google Inc.", "2022-11-04T00:00:00Z_example.com", 2, 0 },
        { "email-report-processor/report.elm", "Google Inc.", "2023-02-02T00:00:00Z_blogreen.org", 1, 0 },
        { "extracted-mailflow-ovh/google.com!test.mailflow.ovh!2020-02-06.extracted.json", "Google Inc.", "2020-02-06T00:00:00Z_test.mailflow.ovh", 1, 13 },
        { "internet-message-parser/encoding.test.ts.extracted.eml", "Google Inc.", "2022-01-09T00:00:00Z_digilicious.com", 5, 0 },
        { "mail-auth/rpt01.eml", "Company-X", "5065427c-23d3-47ca-b6e0-946ea0e8c4be", 5326, 303 },
        { "mail-auth/rpt01.json", "Company-X", "5065427c-23d3-47ca-b6e0-946ea0e8c4be", 5326, 303 },
        { "mail-auth/rpt02.eml", "Google Inc.", "2020-01-01T00:00:00Z_example.com", 23, 1 },
        { "mail-auth/rpt02.json", "Google Inc.", "2020-01-01T00:00:00Z_example.com", 23, 1 },
        { "mail-auth/rpt03.json", "Google Inc.", "2019-04-14T00:00:00Z_example.org", 2, 0 },
        { "mail-tls-rpt/email.eml", "Google Inc.", "2020-03-02T00:00:00Z_fastmaildmarc.com", 343, 0 },
        { "mail-tls-rpt/report.json", "Google Inc.", "2020-03-02T00:00:00Z_fastmaildmarc.com", 343, 0 },
        { "mail-tls-rpt/report.json.gz", "Google Inc.", "2020-03-02T00:00:00Z_fastmaildmarc.com", 343, 0 },
        { "mox/example.eml", "Google Inc.", "2022-09-15T00:00:00Z_test.xmox.nl", 3, 0 },
        { "mox/microsoft.eml", "Microsoft Corporation", "133198585438131172+test.xmox.nl", 2, 0 },
        { "mta-sts-exporter/google.json", "Google Inc.", "2024-02-17T00:00:00Z_example.com", 53, 0 },
        { "mta-sts-exporter/microsoft-2.json", "Microsoft Corporation", "133561180919336230+example.com", 7, 0 },
        { "mta-sts-exporter/microsoft.json", "Microsoft Corporation", "133526718584528772+example.com", 18, 0 },
        { "mta-sts-exporter/rfc-errata-6241.json", "Company-X", "5065427c-23d3-47ca-b6e0-946ea0e8c4be", 5326, 303 },
        { "mta-sts-exporter/rfc.json", "Company-X", "5065427c-23d3-47ca-b6e0-946ea0e8c4be", 5326, 303 },
        { "nixis-tls-rpt-monitor/tls-rpt.json", "Company-X", "5065427c-23d3-47ca-b6e0-946ea0e8c4be", 5326, 303 },
        { "parsedmarc/google.com_smtp_tls_report.eml", "Google Inc.", "2024-09-03T00:00:00Z_cardinalhealth.ca", 48, 0 },
        { "parsedmarc/mail.ru.json", "Mail.ru", "b28254de-7b2e-be36-bb5c-4c3b92da8b25@mail.ru", 0, 1 },
        { "parsedmarc/rfc8460.json", "Company-X", "5065427c-23d3-47ca-b6e0-946ea0e8c4be", 5326, 303 },
        { "parsedmarc/smtp_tls.json", "Example Inc.", "2024-01-09T00:00:00Z_example.com", 0, 3 },
        { "stalwart-mail-server/tls1.eml", "Company-X", "5065427c-23d3-47ca-b6e0-946ea0e8c4be", 5326, 303 },
        { "stalwart-mail-server/tls2.eml", "Google Inc.", "2020-01-01T00:00:00Z_example.com", 23, 1 },
        { "tls-rpt-monitor/microsoft-report.json", "Microsoft Corporation", "133988091029006454+josh.scot", 2, 2 },
        { "tls-rpt-monitor/microsoft-report.json.gz", "Microsoft Corporation", "133988091029006454+josh.scot", 2, 0 },
        { "tlsrpt-be/report-2.json", "Example LLC.", "2025-08-04T00:00:00Z_example.org", 13, 0 },
        { "tlsrpt-be/report.json", "Example Inc.", "report-id-from-report.json", 99, 102 },
        { "tlsrpt-be/test.eml", "Company-X", "5065427c-23d3-47ca-b6e0-946ea0e8c4be", 5326, 303 },
        { "tlsrpt-be/testing.json", "Company-X", "report-id-of-report-over-email-1234", 5326, 303 },
        { "tlsrpt-digest/tlsrpt_failure.eml", "Google Inc.", "2026-02-08T00:00:00Z_example.com", 4523, 2 },
        { "tlsrpt-digest/tlsrpt_success_google_1.eml", "Google Inc.", "2026-05-11T00:00:00Z_example.com", 1, 0 },
        { "tlsrpt-digest/tlsrpt_success_google_2.eml", "Google Inc.", "2026-05-12T00:00:00Z_example.com", 4, 0 },
    };

    [CorpusTheory]
    [MemberData(nameof(Reports))]
    public void Each_report_reads_with_its_totals(string file, string organization, string reportId, long successes, long failures)
    {
        var reader = new ReportReader(new ReportLimits());
        var result = reader.ReadFile(System.IO.File.ReadAllBytes(Corpus.File(file)), file);

        Assert.True(result.Status == ReadStatus.Report, $"{file}: {result.Status} {result.Error}");
        Assert.Equal((organization, reportId, successes, failures),
            (result.Report!.OrganizationName, result.Report.ReportId, result.Report.SuccessCount, result.Report.FailureCount));
    }

    [CorpusFact]
    public async Task The_whole_corpus_goes_through_the_import_command()
    {
        await using var daemon = await InProcessDaemon.StartAsync();
        var output = new StringWriter();
        var command = new ImportCommand(daemon.Services.GetRequiredService<ReportIngestor>(), output);

        var exitCode = await command.RunAsync([Corpus.Root], CancellationToken.None);

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var byFile = lines.ToDictionary(l => Path.GetRelativePath(Corpus.Root, l.GetProperty("file").GetString()!));
        // Every file has its line; the broken draft example makes the run exit 1.
        Assert.Equal(Directory.EnumerateFiles(Corpus.Root, "*", SearchOption.AllDirectories).Count(), lines.Count);
        Assert.Equal(1, exitCode);

        foreach (var row in Reports)
        {
            var (file, organization, successes, failures) = ((string)row[0], (string)row[1], (long)row[3], (long)row[4]);
            var line = byFile[file];
            Assert.Contains(line.GetProperty("status").GetString(), new[] { "imported", "duplicate", "duplicate-conflict" });
            Assert.Equal(organization, line.GetProperty("organization").GetString());
            Assert.Equal((successes, failures), (line.GetProperty("successCount").GetInt64(), line.GetProperty("failureCount").GetInt64()));
        }

        Assert.Equal("invalid", byFile["smtp-sts-draft/reporting.md.example-json-report.txt"].GetProperty("status").GetString());
        Assert.Contains("not valid JSON", byFile["smtp-sts-draft/reporting.md.example-json-report.txt"].GetProperty("error").GetString());
        Assert.Equal("not-a-report", byFile["SOURCES.tsv"].GetProperty("status").GetString());

        // Distinct (organisation, report-id, date range) are stored once; every other copy is a duplicate.
        var distinct = Reports.Select(r => ((string)r[1], (string)r[2])).Distinct().Count();
        var statuses = lines.GroupBy(l => l.GetProperty("status").GetString()!).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(distinct, statuses["imported"]);
        // tls-rpt-monitor's .json and .json.gz share organisation, id and range but not their
        // figures (2 failed sessions against 0): the second is a conflict, not a plain duplicate.
        var conflict = Assert.Single(lines, l => l.GetProperty("status").GetString() == "duplicate-conflict");
        Assert.StartsWith("tls-rpt-monitor/microsoft-report.json", Path.GetRelativePath(Corpus.Root, conflict.GetProperty("file").GetString()!));
        Assert.Equal(Reports.Count - distinct - 1, statuses["duplicate"]);

        await using var db = daemon.Store.Open();
        Assert.Equal(distinct, await db.TlsReports.CountAsync());
        Assert.Equal(["duplicate-conflict", "invalid", "not-a-report"], (await db.ReportRejections.Select(r => r.Status).ToListAsync()).Order());
        var mailRu = await db.TlsReports.Include(r => r.Policies).ThenInclude(p => p.FailureDetails).SingleAsync(r => r.OrganizationName == "Mail.ru");
        // Kept as sent, and flagged: details sum to 2 while the total says 1.
        Assert.Equal(1, mailRu.FailureCount);
        Assert.Equal(2, mailRu.Policies.Single().FailureDetails.Sum(d => d.FailedSessionCount));
        Assert.Contains("failure-count-mismatch", mailRu.Flags);
        // The original bytes are kept, compressed, and give back the file.
        Assert.Equal(System.IO.File.ReadAllBytes(Corpus.File("parsedmarc/mail.ru.json")), Persistence.Reports.TlsReportStore.Gunzip(mailRu.Original));
    }
}
