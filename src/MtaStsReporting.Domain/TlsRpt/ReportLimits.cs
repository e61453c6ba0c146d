namespace MtaStsReporting.Domain.TlsRpt;

/// <summary>
/// Fixed bounds on what one report may cost to read. Real reports are a few kilobytes; these
/// leave room for the largest senders while refusing bombs and junk cheaply.
/// </summary>
public sealed record ReportLimits
{
    /// <summary>Largest mail message or uploaded body, before decompression.</summary>
    public long MaxMessageBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Largest JSON after decompression; decompression stops as soon as it is passed.</summary>
    public long MaxDecompressedBytes { get; set; } = 20 * 1024 * 1024;

    /// <summary>Most entries in a zip archive.</summary>
    public int MaxZipEntries { get; set; } = 16;

    /// <summary>Most entries in <c>policies</c>.</summary>
    public int MaxPolicies { get; set; } = 1_000;

    /// <summary>Most failure-details entries in one report, over all policies.</summary>
    public int MaxFailureDetails { get; set; } = 100_000;

    /// <summary>Longest string value.</summary>
    public int MaxStringLength { get; set; } = 8_192;

    /// <summary>Deepest JSON nesting (a report needs 5).</summary>
    public int MaxJsonDepth { get; set; } = 16;
}
