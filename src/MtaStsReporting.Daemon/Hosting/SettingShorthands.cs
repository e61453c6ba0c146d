using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace MtaStsReporting.Daemon.Hosting;

/// <summary>
/// Lets settings be written as people write them, on the command line and in the environment
/// alike: a list setting as one value (<c>--Dns:Servers=127.0.0.1:5353</c>, or several separated
/// by commas) besides the indexed form (<c>--Dns:Servers:0=…</c>), and a time span as
/// <c>500ms</c>, <c>5s</c>, <c>10m</c>, <c>2h</c> or <c>30d</c> besides <c>00:00:05</c>. The
/// paths are read from the options classes themselves, so a new setting gets the same treatment.
/// </summary>
public static partial class SettingShorthands
{
    private static readonly Lazy<(HashSet<string> TimeSpans, HashSet<string> StringLists)> Paths = new(CollectPaths);

    /// <summary>Adds, as the last source, the settings rewritten into the form the binder reads.</summary>
    public static void Apply(IConfigurationManager configuration)
    {
        var rewritten = Rewrite(configuration);
        if (rewritten.Count > 0)
        {
            configuration.AddInMemoryCollection(rewritten);
        }
    }

    /// <summary>The settings to add: list items split out of one value (the value itself cleared), time spans in <c>c</c> format.</summary>
    public static Dictionary<string, string?> Rewrite(IConfiguration configuration)
    {
        var (timeSpans, lists) = Paths.Value;
        var result = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in configuration.AsEnumerable())
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                continue;
            }

            var pattern = Pattern(key);
            if (lists.Contains(pattern))
            {
                result[key] = null;
                var items = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                for (var i = 0; i < items.Length; i++)
                {
                    result[$"{key}:{i.ToString(CultureInfo.InvariantCulture)}"] = items[i];
                }
            }
            else if (timeSpans.Contains(pattern) && ParseShorthand(value) is { } span)
            {
                result[key] = span.ToString("c", CultureInfo.InvariantCulture);
            }
        }

        return result;
    }

    /// <summary><c>500ms</c>, <c>5s</c>, <c>1.5m</c>, <c>2h</c>, <c>30d</c>; null for anything else.</summary>
    public static TimeSpan? ParseShorthand(string text)
    {
        var match = ShorthandRegex().Match(text.Trim());
        if (!match.Success || !double.TryParse(match.Groups["n"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n))
        {
            return null;
        }

        return match.Groups["unit"].Value.ToLowerInvariant() switch
        {
            "ms" => TimeSpan.FromMilliseconds(n),
            "s" => TimeSpan.FromSeconds(n),
            "m" => TimeSpan.FromMinutes(n),
            "h" => TimeSpan.FromHours(n),
            _ => TimeSpan.FromDays(n),
        };
    }

    /// <summary>A key with its list indices as <c>*</c>: <c>Ingestion:Mailboxes:0:PollInterval</c> → <c>Ingestion:Mailboxes:*:PollInterval</c>.</summary>
    private static string Pattern(string key) =>
        string.Join(':', key.Split(':').Select(s => s.Length > 0 && s.All(char.IsAsciiDigit) ? "*" : s));

    private static (HashSet<string>, HashSet<string>) CollectPaths()
    {
        var timeSpans = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var lists = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (section, type) in SettingsSections.All)
        {
            Walk(section, type, timeSpans, lists, depth: 0);
        }

        return (timeSpans, lists);
    }

    private static void Walk(string path, Type type, HashSet<string> timeSpans, HashSet<string> lists, int depth)
    {
        if (depth > 6)
        {
            return;
        }

        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite || p.PropertyType.IsClass))
        {
            var name = $"{path}:{property.Name}";
            var t = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (t == typeof(TimeSpan))
            {
                timeSpans.Add(name);
            }
            else if (t == typeof(List<string>) || t == typeof(string[]))
            {
                lists.Add(name);
            }
            else if (t.IsGenericType && typeof(IList).IsAssignableFrom(t) && t.GetGenericArguments()[0] is { IsClass: true } item && item != typeof(string))
            {
                Walk(name + ":*", item, timeSpans, lists, depth + 1);
            }
            else if (t.IsClass && t != typeof(string) && t.Namespace?.StartsWith("MtaStsReporting", StringComparison.Ordinal) == true)
            {
                Walk(name, t, timeSpans, lists, depth + 1);
            }
        }
    }

    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)\s*(?<unit>ms|s|m|h|d)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ShorthandRegex();
}
