using MtaStsReporting.Domain.TlsRpt;
using System.Text.Json;
using MtaStsReporting.Persistence.Reports;

namespace MtaStsReporting.Daemon.Ingestion;

/// <summary>
/// <c>mtasts-reporting import PATH...</c>: imports report files and folders (.eml, .json,
/// .json.gz, .gz, .zip) into the configured store, printing one JSON line per file.
/// Exit code 1 when any file was invalid.
/// </summary>
public sealed class ImportCommand(ReportIngestor ingestor, TextWriter output)
{
    // Files are committed in groups: one durable commit per group, not per file.
    private const int GroupSize = 256;

    // Lines are read by people and scripts, not embedded in HTML: keep '+' and quotes as they are.
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Runs the import; returns the exit code.</summary>
    public async Task<int> RunAsync(IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        var invalid = false;
        var group = new List<InboundItem>(GroupSize);
        foreach (var file in Expand(paths))
        {
            if (file.Error is not null)
            {
                Print(file.Path, IngestStatus.Invalid, null, file.Error);
                invalid = true;
                continue;
            }

            byte[] bytes;
            try
            {
                var info = new FileInfo(file.Path);
                if (info.Length > ingestor.Reader.Limits.MaxMessageBytes)
                {
                    Print(file.Path, IngestStatus.Invalid, null, $"the file is larger than {ingestor.Reader.Limits.MaxMessageBytes} bytes");
                    invalid = true;
                    continue;
                }

                bytes = await File.ReadAllBytesAsync(file.Path, cancellationToken);
            }
            catch (IOException ex)
            {
                Print(file.Path, IngestStatus.Invalid, null, ex.Message);
                invalid = true;
                continue;
            }

            group.Add(new InboundItem(new ReportSource("file", file.Path, null), bytes, InboundKind.File, file.Path));
            if (group.Count == GroupSize)
            {
                invalid |= await FlushAsync(group, cancellationToken);
            }
        }

        invalid |= await FlushAsync(group, cancellationToken);
        return invalid ? 1 : 0;
    }

    private async Task<bool> FlushAsync(List<InboundItem> group, CancellationToken cancellationToken)
    {
        if (group.Count == 0)
        {
            return false;
        }

        var results = await ingestor.IngestAsync(group, cancellationToken);
        group.Clear();
        foreach (var r in results)
        {
            Print(r.Item.Source.Name, r.Status, r.Report, r.Error);
        }

        return results.Any(r => r.Status == IngestStatus.Invalid);
    }

    private void Print(string file, string status, Domain.TlsRpt.TlsReport? report, string? error)
    {
        output.WriteLine(JsonSerializer.Serialize(
            new Dictionary<string, object?>
            {
                ["file"] = file,
                ["status"] = status,
                ["organization"] = report?.OrganizationName,
                ["reportId"] = report?.ReportId,
                ["policyDomains"] = report?.PolicyDomains,
                ["successCount"] = report?.SuccessCount,
                ["failureCount"] = report?.FailureCount,
                ["flags"] = report?.Flags.Select(f => f.ToString()).ToList(),
                ["error"] = error,
            },
            Json));
    }

    private static IEnumerable<(string Path, string? Error)> Expand(IReadOnlyList<string> paths)
    {
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                {
                    yield return (file, null);
                }
            }
            else if (File.Exists(path))
            {
                yield return (path, null);
            }
            else
            {
                yield return (path, "no such file or folder");
            }
        }
    }
}
