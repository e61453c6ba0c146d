using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace MtaStsReporting.Bench;

/// <summary>
/// Import throughput: writes a folder of varied report files (mail with gzip or JSON parts,
/// bare .json/.json.gz/.zip, bounces, broken reports), then runs the daemon's own
/// <c>import</c> command on it as a separate process and times it.
/// </summary>
internal static class ImportBenchmark
{
    public sealed record Figures(int Files, double Seconds, double ProcessingSeconds, double PeakMemoryMb, int Imported, int Invalid, int NotAReport)
    {
        public override string ToString() =>
            $"import {Files} files: {Files / ProcessingSeconds,8:N0} files/s while importing ({ProcessingSeconds:N2} s), {Files / Seconds,8:N0} files/s with process start ({Seconds:N2} s), " +
            $"peak {PeakMemoryMb:N0} MB; imported {Imported}, invalid {Invalid}, not-a-report {NotAReport}";
    }

    public static async Task<Figures> RunAsync(string daemonDll, int files, string[] storeArgs)
    {
        var root = Directory.CreateTempSubdirectory("mtasts-import-bench-").FullName;
        try
        {
            var input = Path.Combine(root, "in");
            Directory.CreateDirectory(input);
            Generate(input, files);

            var start = new ProcessStartInfo("dotnet") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { daemonDll, "import", input }.Concat(storeArgs))
            {
                start.ArgumentList.Add(a);
            }

            var clock = Stopwatch.StartNew();
            using var process = Process.Start(start)!;
            double firstLine = -1, lastLine = 0;
            int imported = 0, invalid = 0, notAReport = 0;
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    return;
                }

                var t = clock.Elapsed.TotalSeconds;
                if (firstLine < 0)
                {
                    firstLine = t;
                }

                lastLine = t;
                if (e.Data.Contains("\"status\":\"imported\"", StringComparison.Ordinal)) { imported++; }
                else if (e.Data.Contains("\"status\":\"invalid\"", StringComparison.Ordinal)) { invalid++; }
                else if (e.Data.Contains("\"status\":\"not-a-report\"", StringComparison.Ordinal)) { notAReport++; }
            };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            long peak = 0;
            while (!process.HasExited)
            {
                try
                {
                    var line = File.ReadLines($"/proc/{process.Id}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
                    if (line is not null)
                    {
                        peak = Math.Max(peak, long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024);
                    }
                }
                catch (IOException)
                {
                }

                await Task.Delay(20);
            }

            await process.WaitForExitAsync();
            var total = clock.Elapsed.TotalSeconds;
            // The first group's lines come after its commit: the processing window runs from the
            // end of start-up (approximated by the first line minus one group's share) to the last line.
            var processing = Math.Max(lastLine - firstLine, 1e-3) * files / Math.Max(files - 256, 1);
            return new Figures(files, total, processing, peak / 1024.0 / 1024.0, imported, invalid, notAReport);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Writes the varied input folder (also used on its own, to profile an import).</summary>
    public static void Generate(string folder, int count)
    {
        var random = new Random(8460);
        for (var i = 0; i < count; i++)
        {
            var json = Report(random, i);
            var kind = i % 20;
            switch (kind)
            {
                case < 8:
                    File.WriteAllBytes(Path.Combine(folder, $"{i:D6}.eml"), Mail(i, Gzip(json), "application/tlsrpt+gzip", "json.gz"));
                    break;
                case < 12:
                    File.WriteAllBytes(Path.Combine(folder, $"{i:D6}.eml"), Mail(i, json, "application/tlsrpt+json", "json"));
                    break;
                case < 15:
                    File.WriteAllBytes(Path.Combine(folder, $"{i:D6}.json.gz"), Gzip(json));
                    break;
                case < 17:
                    File.WriteAllBytes(Path.Combine(folder, $"{i:D6}.json"), json);
                    break;
                case 17:
                    File.WriteAllBytes(Path.Combine(folder, $"{i:D6}.zip"), Zip(json));
                    break;
                case 18:
                    File.WriteAllText(Path.Combine(folder, $"{i:D6}.eml"),
                        $"From: MAILER-DAEMON@mx{i}.example\r\nTo: tlsrpt@example.org\r\nSubject: Undelivered Mail\r\nMessage-ID: <b{i}@mx.example>\r\n\r\nThe mail system could not deliver.\r\n");
                    break;
                default:
                    File.WriteAllBytes(Path.Combine(folder, $"{i:D6}.json"), json.AsSpan(0, json.Length / 2).ToArray());
                    break;
            }
        }
    }

    private static byte[] Report(Random random, int i)
    {
        var domain = $"d{random.Next(500)}.example";
        var day = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddDays(random.Next(300));
        var policies = new StringBuilder();
        var n = 1 + random.Next(3);
        for (var p = 0; p < n; p++)
        {
            var failures = new StringBuilder();
            var details = random.Next(6);
            long failed = 0;
            for (var d = 0; d < details; d++)
            {
                var c = 1 + random.Next(20);
                failed += c;
                failures.Append(CultureInfo.InvariantCulture, $"{(d > 0 ? "," : string.Empty)}{{\"result-type\":\"certificate-expired\",\"sending-mta-ip\":\"198.51.100.{random.Next(250)}\",\"receiving-mx-hostname\":\"mx{d}.{domain}\",\"receiving-ip\":\"192.0.2.{random.Next(250)}\",\"failed-session-count\":{c}}}");
            }

            policies.Append(CultureInfo.InvariantCulture, $"{(p > 0 ? "," : string.Empty)}{{\"policy\":{{\"policy-type\":\"sts\",\"policy-string\":[\"version: STSv1\",\"mode: testing\",\"mx: mx.{domain}\",\"max_age: 86400\"],\"policy-domain\":\"{domain}\",\"mx-host\":[\"mx.{domain}\"]}},\"summary\":{{\"total-successful-session-count\":{random.Next(10000)},\"total-failure-session-count\":{failed}}},\"failure-details\":[{failures}]}}");
        }

        return Encoding.UTF8.GetBytes(
            $"{{\"organization-name\":\"Reporter {i % 7}\",\"date-range\":{{\"start-datetime\":\"{day:yyyy-MM-dd}T00:00:00Z\",\"end-datetime\":\"{day:yyyy-MM-dd}T23:59:59Z\"}}," +
            $"\"contact-info\":\"tlsrpt@reporter{i % 7}.example\",\"report-id\":\"{day:yyyy-MM-dd}_{domain}_{i}\",\"policies\":[{policies}]}}");
    }

    private static byte[] Mail(int i, byte[] payload, string mediaType, string extension)
    {
        var b64 = Convert.ToBase64String(payload, Base64FormattingOptions.InsertLineBreaks);
        return Encoding.ASCII.GetBytes(
            $"From: noreply@reporter{i % 7}.example\r\nTo: tlsrpt@example.org\r\nSubject: Report Domain: example.org Submitter: reporter{i % 7}.example Report-ID: <r{i}>\r\n" +
            $"Message-ID: <r{i}@reporter.example>\r\nDate: Sun, 29 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nTLS-Report-Domain: example.org\r\n" +
            "Content-Type: multipart/report; report-type=\"tlsrpt\"; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nTLS report.\r\n--b1\r\n" +
            $"Content-Type: {mediaType}\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"reporter.example!example.org!1!2.{extension}\"\r\n\r\n{b64}\r\n--b1--\r\n");
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    private static byte[] Zip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create))
        {
            using var s = zip.CreateEntry("report.json").Open();
            s.Write(data);
        }

        return output.ToArray();
    }
}
