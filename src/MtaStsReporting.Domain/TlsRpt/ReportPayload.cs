using System.IO.Compression;

namespace MtaStsReporting.Domain.TlsRpt;

/// <summary>How a report payload was packed.</summary>
public enum PayloadFormat
{
    /// <summary>Plain JSON.</summary>
    Json,

    /// <summary>gzip (RFC 1952), as <c>application/tlsrpt+gzip</c> requires.</summary>
    Gzip,

    /// <summary>A zip archive holding the report.</summary>
    Zip,
}

/// <summary>A payload unpacked to its JSON bytes, or why it could not be.</summary>
public sealed record PayloadDecodeResult(ReadOnlyMemory<byte> Json, PayloadFormat Format, string? Error)
{
    /// <summary>True when JSON bytes were obtained.</summary>
    public bool IsValid => Error is null;

    /// <summary>The packing held XML: a DMARC aggregate report (RFC 7489 §7.2), someone else's mail, not a broken TLS report.</summary>
    public bool IsXml { get; init; }
}

/// <summary>
/// Unpacks a report attachment or upload. The bytes decide the format (gzip and zip magic
/// numbers, or a JSON object), because senders mislabel: <c>application/tlsrpt+gzip</c>
/// holding plain JSON, <c>application/octet-stream</c>, types only guessable from the file
/// name. Decompression is a bounded stream copy that stops at the limit, so a bomb costs only
/// the limit.
/// </summary>
public static class ReportPayload
{
    /// <summary>What the bytes look like, or null for none of the report formats.</summary>
    public static PayloadFormat? Sniff(ReadOnlySpan<byte> data)
    {
        if (data.Length >= 2 && data[0] == 0x1f && data[1] == 0x8b)
        {
            return PayloadFormat.Gzip;
        }

        if (data.Length >= 4 && data[0] == (byte)'P' && data[1] == (byte)'K' && data[2] == 3 && data[3] == 4)
        {
            return PayloadFormat.Zip;
        }

        var i = data.StartsWith("\uFEFF"u8) ? 3 : 0;
        while (i < data.Length && data[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            i++;
        }

        return i < data.Length && data[i] == (byte)'{' ? PayloadFormat.Json : null;
    }

    /// <summary>Unpacks <paramref name="data"/> to JSON bytes within <paramref name="limits"/>.</summary>
    public static PayloadDecodeResult Decode(ReadOnlyMemory<byte> data, ReportLimits limits) => Decode(data, limits, depth: 0);

    private static PayloadDecodeResult Decode(ReadOnlyMemory<byte> data, ReportLimits limits, int depth)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (data.Length > limits.MaxMessageBytes)
        {
            return Fail($"the payload is larger than {limits.MaxMessageBytes} bytes");
        }

        switch (Sniff(data.Span))
        {
            case PayloadFormat.Json:
                return data.Length > limits.MaxDecompressedBytes
                    ? Fail($"the report is larger than {limits.MaxDecompressedBytes} bytes")
                    : new PayloadDecodeResult(data, PayloadFormat.Json, null);
            case PayloadFormat.Gzip:
                try
                {
                    using var gzip = new GZipStream(new MemoryStream(data.ToArray(), writable: false), CompressionMode.Decompress);
                    var (bytes, error) = ReadBounded(gzip, limits.MaxDecompressedBytes);
                    if (error is not null)
                    {
                        return Fail(error);
                    }

                    // One level of nesting only: a gzip inside a zip, never deeper.
                    return Sniff(bytes.Span) == PayloadFormat.Json ? new PayloadDecodeResult(bytes, PayloadFormat.Gzip, null)
                        : IsXml(bytes.Span) ? Xml
                        : Fail("the gzip data does not hold a JSON report");
                }
                catch (InvalidDataException ex)
                {
                    return Fail("broken gzip data: " + ex.Message);
                }

            case PayloadFormat.Zip when depth == 0:
                return DecodeZip(data, limits);
            case PayloadFormat.Zip:
                return Fail("a zip archive nested in another is not read");
            default:
                return depth > 0 && IsXml(data.Span) ? Xml : Fail("not a report: neither JSON nor gzip nor zip");
        }
    }

    /// <summary>XML after an optional byte order mark and white space (RFC 8460 reports are JSON; DMARC's are XML).</summary>
    public static bool IsXml(ReadOnlySpan<byte> content)
    {
        if (content.StartsWith("\uFEFF"u8))
        {
            content = content[3..];
        }

        var start = content.IndexOfAnyExcept(" \t\r\n"u8);
        return start >= 0 && content[start] == (byte)'<';
    }

    private static readonly PayloadDecodeResult Xml = Fail("the data is XML (a DMARC aggregate report, RFC 7489), not a TLS report") with { IsXml = true };

    private static PayloadDecodeResult DecodeZip(ReadOnlyMemory<byte> data, ReportLimits limits)
    {
        try
        {
            using var archive = new ZipArchive(new MemoryStream(data.ToArray(), writable: false), ZipArchiveMode.Read);
            var files = archive.Entries.Where(e => !e.FullName.EndsWith('/')).ToList();
            if (files.Count > limits.MaxZipEntries)
            {
                return Fail($"the zip archive has {files.Count} entries; at most {limits.MaxZipEntries} are read");
            }

            // Entries are only read into memory, never written to disk, so a name with "../"
            // could do no harm here; but no reporter makes one, so such an archive is hostile
            // and is refused rather than half-trusted (and nothing downstream ever sees the name).
            var tricky = files.FirstOrDefault(e => IsPathTrick(e.FullName));
            if (tricky is not null)
            {
                return Fail($"the zip archive has an entry named '{Printable(tricky.FullName)}' that points outside the archive");
            }

            var entry = files.FirstOrDefault(e => e.Name.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                ?? files.FirstOrDefault(e => e.Name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
                ?? (files.Count == 1 ? files[0] : null);
            if (entry is null && files.Count > 0 && files.All(e => e.Name.EndsWith(".xml", StringComparison.OrdinalIgnoreCase)))
            {
                return Xml;
            }
            if (entry is null)
            {
                return Fail("the zip archive holds no .json or .gz report");
            }

            if (entry.Length > limits.MaxDecompressedBytes)
            {
                return Fail($"the report in the zip archive is larger than {limits.MaxDecompressedBytes} bytes");
            }

            using var stream = entry.Open();
            var (bytes, error) = ReadBounded(stream, limits.MaxDecompressedBytes);
            if (error is not null)
            {
                return Fail(error);
            }

            var inner = Decode(bytes, limits, depth: 1);
            return inner.IsValid ? inner with { Format = PayloadFormat.Zip } : inner;
        }
        catch (InvalidDataException ex)
        {
            return Fail("broken zip archive: " + ex.Message);
        }
    }

    private static bool IsPathTrick(string name) =>
        name.StartsWith('/') || name.StartsWith('\\') || name.Contains('\0')
        || (name.Length >= 2 && char.IsAsciiLetter(name[0]) && name[1] == ':') // a Windows drive
        || name.Replace('\\', '/').Split('/').Contains("..");

    /// <summary>A name fit for an error message: control characters escaped, at most 100 characters.</summary>
    private static string Printable(string name) => Quote.Shorten(new string([.. name.Select(c => char.IsControl(c) ? '?' : c)]), 100);

    private static (ReadOnlyMemory<byte> Bytes, string? Error) ReadBounded(Stream source, long limit)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = source.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return (default, $"the report decompresses to more than {limit} bytes");
            }

            buffer.Write(chunk, 0, read);
        }

        return (buffer.ToArray(), null);
    }

    private static PayloadDecodeResult Fail(string error) => new(default, PayloadFormat.Json, error);
}
