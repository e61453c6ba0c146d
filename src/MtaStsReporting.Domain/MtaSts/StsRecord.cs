namespace MtaStsReporting.Domain.MtaSts;

/// <summary>The <c>_mta-sts</c> TXT record (RFC 8461 §3.1): <c>v=STSv1; id=…;</c>.</summary>
/// <param name="Id">The policy id, 1–32 letters and digits; it changes whenever the policy does.</param>
public sealed record StsRecord(string Id)
{
    /// <summary>The record as published: <c>v=STSv1; id=…</c>.</summary>
    public string ToText() => $"v=STSv1; id={Id}";

    /// <summary>
    /// A new id for a changed policy (RFC 8461 §3.1: senders fetch the policy again only when the
    /// id changes). A UTC timestamp (<c>yyyyMMddHHmmss</c>) changes with time; when the previous
    /// id already holds this second, a counter after it keeps the two apart, so that two changes
    /// within one second still get two ids. At most 23 letters and digits, within the 32 allowed.
    /// </summary>
    public static StsRecord Next(DateTimeOffset now, string? previous)
    {
        var stamp = now.UtcDateTime.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);
        if (previous is null || !previous.StartsWith(stamp, StringComparison.Ordinal))
        {
            return new StsRecord(stamp);
        }

        var counter = previous[stamp.Length..];
        var next = counter.Length is > 0 and <= 8 && counter.All(char.IsAsciiDigit)
            ? int.Parse(counter, System.Globalization.CultureInfo.InvariantCulture) + 1
            : 1;
        return new StsRecord(stamp + next.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Reads the TXT strings found at <c>_mta-sts.&lt;domain&gt;</c>. Records that do not start
    /// with <c>v=STSv1</c> are ignored; none, or more than one, means the domain has no policy
    /// (§3.1). Unknown fields are ignored.
    /// </summary>
    public static StsRecordResult Parse(IEnumerable<string> txtRecords)
    {
        var candidates = txtRecords.Where(t => t.TrimStart().StartsWith("v=STSv1", StringComparison.Ordinal)).ToList();
        if (candidates.Count == 0)
        {
            return new StsRecordResult(null, "no TXT record starting with v=STSv1");
        }

        if (candidates.Count > 1)
        {
            return new StsRecordResult(null, $"{candidates.Count} TXT records start with v=STSv1; RFC 8461 §3.1 then means no policy");
        }

        string? id = null;
        var fields = candidates[0].Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (fields[0] != "v=STSv1")
        {
            return new StsRecordResult(null, $"the record begins '{fields[0]}', not 'v=STSv1'");
        }

        foreach (var field in fields.Skip(1))
        {
            var eq = field.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                return new StsRecordResult(null, $"'{field}' is not key=value");
            }

            if (field[..eq] == "id")
            {
                id = field[(eq + 1)..];
            }
        }

        if (id is null)
        {
            return new StsRecordResult(null, "the record has no id");
        }

        // §3.1: sts-id = 1*32(ALPHA / DIGIT).
        return id.Length is >= 1 and <= 32 && id.All(char.IsAsciiLetterOrDigit)
            ? new StsRecordResult(new StsRecord(id), null)
            : new StsRecordResult(null, $"id '{id}' is not 1 to 32 letters and digits");
    }
}

/// <summary>A record, or why there is none.</summary>
public sealed record StsRecordResult(StsRecord? Record, string? Error);
