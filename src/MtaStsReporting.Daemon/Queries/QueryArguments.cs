using MtaStsReporting.Domain.RelayOutcomes;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Relay;
using MtaStsReporting.Domain.Names;

namespace MtaStsReporting.Daemon.Queries;

/// <summary>A checked range of UTC days, both ends included.</summary>
public readonly record struct Days(DateOnly Start, DateOnly End)
{
    /// <summary>Longest range a query may ask for (ten years).</summary>
    public const int MaxDays = 3660;

    /// <summary>Every day of the range.</summary>
    public IEnumerable<DateOnly> Each()
    {
        for (var d = Start; d <= End; d = d.AddDays(1))
        {
            yield return d;
        }
    }

    /// <summary>A day as shown (yyyy-MM-dd).</summary>
    public static string Format(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}

/// <summary>Checks of query arguments; each failure names the field.</summary>
public static class QueryArguments
{
    /// <summary>
    /// Days before end_day that a range without start_day reaches back: the relay API accepts
    /// outcomes up to 30 days old (Relay:MaxOutcomeAge), so the default range shows them all.
    /// </summary>
    public const int DefaultDaysBack = 30;

    /// <summary>What a query about a domain without data answers (NotFound, or 404 over HTTP).</summary>
    public static string NoData(string domain, Direction direction) =>
        $"domain: no data for {domain}{(direction == Direction.Unspecified ? string.Empty : " in direction " + direction)}";

    /// <summary>The range asked for; defaults to end_day (today, UTC) and the 30 days before it.</summary>
    public static FieldError? ReadRange(DayRange? range, TimeProvider time, out Days days)
    {
        days = default;
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        DateOnly end = today, start;
        if (!string.IsNullOrEmpty(range?.EndDay) && !TryDay(range.EndDay, out end))
        {
            return new FieldError("range.end_day", $"'{range.EndDay}' is not a day (YYYY-MM-DD)");
        }

        if (string.IsNullOrEmpty(range?.StartDay))
        {
            start = end.AddDays(-DefaultDaysBack);
        }
        else if (!TryDay(range.StartDay, out start))
        {
            return new FieldError("range.start_day", $"'{range.StartDay}' is not a day (YYYY-MM-DD)");
        }

        if (start > end)
        {
            return new FieldError("range", $"start_day {Days.Format(start)} is after end_day {Days.Format(end)}");
        }

        if (end.DayNumber - start.DayNumber + 1 > Days.MaxDays)
        {
            return new FieldError("range", $"covers {end.DayNumber - start.DayNumber + 1} days; at most {Days.MaxDays} are allowed");
        }

        days = new Days(start, end);
        return null;
    }

    /// <summary>The domain asked about, normalised as stored.</summary>
    public static FieldError? ReadDomain(string text, out string domain)
    {
        domain = string.Empty;
        if (!DomainName.TryParse(text, out var name, out var error))
        {
            return new FieldError("domain", error);
        }

        domain = name.Value;
        return null;
    }

    /// <summary>Page size: default 100, at most 1000.</summary>
    public static FieldError? ReadPageSize(int size, out int pageSize)
    {
        pageSize = size == 0 ? 100 : size;
        return size is < 0 or > 1000 ? new FieldError("page_size", $"must be between 1 and 1000 (got {size})") : null;
    }

    /// <summary>
    /// Page tokens are offsets bound to the query that made them: a token used with other
    /// filters is refused rather than silently giving a wrong page.
    /// </summary>
    public static string PageToken(int offset, string fingerprint) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{offset}:{Fingerprint(fingerprint)}"));

    /// <summary>Reads a page token made by <see cref="PageToken"/>.</summary>
    public static FieldError? ReadPageToken(string token, string fingerprint, out int offset)
    {
        offset = 0;
        if (token.Length == 0)
        {
            return null;
        }

        try
        {
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(token)).Split(':');
            if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out offset) && parts[1] == Fingerprint(fingerprint))
            {
                return null;
            }
        }
        catch (FormatException)
        {
        }

        return new FieldError("page_token", "is not a token of this query; start again without one");
    }

    private static string Fingerprint(string query) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(query)).AsSpan(0, 8));

    /// <summary>A day written YYYY-MM-DD.</summary>
    public static bool TryDay(string text, out DateOnly day) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day);
}
