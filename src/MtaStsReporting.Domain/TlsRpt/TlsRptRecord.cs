namespace MtaStsReporting.Domain.TlsRpt;

/// <summary>The <c>_smtp._tls</c> TXT record (RFC 8460 §3): <c>v=TLSRPTv1; rua=…</c>.</summary>
/// <param name="Rua">Where reports go: <c>mailto:</c> and <c>https:</c> URIs.</param>
public sealed record TlsRptRecord(IReadOnlyList<Uri> Rua)
{
    /// <summary>
    /// Reads the TXT strings found at <c>_smtp._tls.&lt;domain&gt;</c>. Several records starting
    /// with <c>v=TLSRPTv1</c> mean no reporting (§3); URIs other than mailto: and https: are
    /// skipped, and a record with none left is no record.
    /// </summary>
    public static TlsRptRecordResult Parse(IEnumerable<string> txtRecords)
    {
        var candidates = txtRecords.Where(t => t.TrimStart().StartsWith("v=TLSRPTv1", StringComparison.Ordinal)).ToList();
        if (candidates.Count != 1)
        {
            return new TlsRptRecordResult(null, candidates.Count == 0
                ? "no TXT record starting with v=TLSRPTv1"
                : $"{candidates.Count} TXT records start with v=TLSRPTv1; RFC 8460 §3 then means no reporting");
        }

        var rua = new List<Uri>();
        foreach (var field in candidates[0].Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Skip(1))
        {
            if (!field.StartsWith("rua=", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var text in field[4..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "mailto" or "https")
                {
                    rua.Add(uri);
                }
            }
        }

        return rua.Count == 0
            ? new TlsRptRecordResult(null, "the record has no mailto: or https: rua URI")
            : new TlsRptRecordResult(new TlsRptRecord(rua), null);
    }
}

/// <summary>A record, or why there is none.</summary>
public sealed record TlsRptRecordResult(TlsRptRecord? Record, string? Error);
