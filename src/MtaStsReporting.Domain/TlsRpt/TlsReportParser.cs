using System.Globalization;
using System.Text.Json;
using MtaStsReporting.Domain.Names;

namespace MtaStsReporting.Domain.TlsRpt;

/// <summary>The outcome of reading a report: the report, or why it cannot be read.</summary>
public sealed record ReportParseResult(TlsReport? Report, string? Error)
{
    /// <summary>True when a report was read.</summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(true, nameof(Report))]
    [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(false, nameof(Error))]
    public bool IsValid => Report is not null;

    internal static ReportParseResult Fail(string error) => new(null, error);
}

/// <summary>
/// Reads RFC 8460 §4.4 JSON the way real senders write it (see SPEC.md): tolerant of missing
/// optional fields, strings for numbers and arrays, draft-era key names, dates without a time
/// zone; strict about what a report cannot do without (organisation, report id, date range,
/// policies) and about the limits in <see cref="ReportLimits"/>.
/// </summary>
public static class TlsReportParser
{
    /// <summary>Parses a report.</summary>
    /// <param name="json">The JSON bytes (UTF-8).</param>
    /// <param name="limits">Bounds on size and shape.</param>
    /// <param name="fallbackPolicyDomain">The policy domain named outside the JSON (TLS-Report-Domain header, subject, file name), for policies that lack one.</param>
    public static ReportParseResult Parse(ReadOnlyMemory<byte> json, ReportLimits limits, string? fallbackPolicyDomain = null)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (json.Length > limits.MaxDecompressedBytes)
        {
            return ReportParseResult.Fail($"the report is larger than {limits.MaxDecompressedBytes} bytes");
        }

        // RFC 8259 §8.1: JSON exchanged between systems is UTF-8. Checked up front, because the
        // JSON reader only notices broken bytes inside a string when the string is read.
        if (!System.Text.Unicode.Utf8.IsValid(json.Span))
        {
            return ReportParseResult.Fail("not valid JSON: the bytes are not valid UTF-8");
        }

        // RFC 8259 §8.1: a byte order mark must not be sent, but a parser may ignore one.
        if (json.Span.StartsWith("\uFEFF"u8))
        {
            json = json[3..];
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = limits.MaxJsonDepth });
        }
        catch (JsonException ex)
        {
            return ReportParseResult.Fail("not valid JSON: " + FirstSentence(ex.Message));
        }
        catch (ArgumentException ex)
        {
            // Invalid UTF-8 surfaces as an ArgumentException from the reader.
            return ReportParseResult.Fail("not valid JSON: " + FirstSentence(ex.Message));
        }

        using (document)
        {
            try
            {
                return new ReportParseResult(new Reader(limits, fallbackPolicyDomain).Read(document.RootElement), null);
            }
            catch (InvalidReportException ex)
            {
                return ReportParseResult.Fail(ex.Message);
            }
        }
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message.TrimEnd('.');
    }

    private sealed class InvalidReportException(string message) : Exception(message);

    private sealed class Reader(ReportLimits limits, string? fallbackPolicyDomain)
    {
        private readonly List<ReportFlag> _flags = [];
        private int _failureDetails;

        public TlsReport Read(JsonElement root)
        {
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidReportException("the report is not a JSON object");
            }

            var organization = RequiredString(root, "organization-name");
            var reportId = RequiredString(root, "report-id");
            var contact = OptionalString(root, "contact-info", "contact-info");
            if (contact is null)
            {
                Flag(ReportFlags.NoContactInfo, "contact-info is missing or null");
            }

            if (!root.TryGetProperty("date-range", out var range) || range.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidReportException("date-range is missing");
            }

            var start = RequiredDate(range, "start-datetime");
            var end = RequiredDate(range, "end-datetime");
            if (end < start)
            {
                throw new InvalidReportException($"date-range ends ({end:O}) before it starts ({start:O})");
            }

            // §4.1 reports cover a UTC day; senders end it at 23:59:59Z or at the next 00:00:00Z.
            var length = end - start;
            if (start.TimeOfDay != TimeSpan.Zero || length < TimeSpan.FromHours(23.99) || length > TimeSpan.FromDays(1))
            {
                Flag(ReportFlags.UnusualDateRange, $"{start:O} to {end:O}");
            }

            if (!root.TryGetProperty("policies", out var policiesElement) || policiesElement.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidReportException("policies is missing or not an array");
            }

            if (policiesElement.GetArrayLength() > limits.MaxPolicies)
            {
                throw new InvalidReportException($"policies has {policiesElement.GetArrayLength()} entries; at most {limits.MaxPolicies} are read");
            }

            var policies = new List<TlsReportPolicy>();
            var index = 0;
            foreach (var p in policiesElement.EnumerateArray())
            {
                policies.Add(ReadPolicy(p, $"policies[{index++}]"));
            }

            return new TlsReport(organization, contact, reportId, start, end, policies, _flags);
        }

        private TlsReportPolicy ReadPolicy(JsonElement entry, string path)
        {
            if (entry.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidReportException(path + " is not an object");
            }

            if (!entry.TryGetProperty("policy", out var policy) || policy.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidReportException(path + ".policy is missing");
            }

            var rawType = OptionalString(policy, "policy-type", path + ".policy.policy-type")
                ?? throw new InvalidReportException(path + ".policy.policy-type is missing");
            var type = rawType;
            if (!PolicyTypeNames.TryParse(rawType, out _))
            {
                if (PolicyTypeNames.TryParse(rawType.ToLowerInvariant(), out var known))
                {
                    type = known.ToRfcName();
                }

                Flag(ReportFlags.UnknownPolicyType, $"{path}.policy.policy-type '{rawType}'");
            }

            var strings = StringList(policy, "policy-string", path + ".policy");
            if (strings.Any(s => s.EndsWith('\r')))
            {
                Flag(ReportFlags.CarriageReturnInPolicyString, path + ".policy.policy-string");
            }

            if (strings.Count == 1 && strings[0].TrimStart().StartsWith('['))
            {
                Flag(ReportFlags.JsonEncodedPolicyString, path + ".policy.policy-string");
            }

            IReadOnlyList<string> mx = [];
            if (policy.TryGetProperty("mx-host", out _))
            {
                mx = StringList(policy, "mx-host", path + ".policy");
            }
            else if (policy.TryGetProperty("mx-host-pattern", out _))
            {
                Flag(ReportFlags.AlternateKeyName, $"{path}.policy: mx-host-pattern read as mx-host");
                mx = StringList(policy, "mx-host-pattern", path + ".policy");
            }

            var domain = PolicyDomain(OptionalString(policy, "policy-domain", path + ".policy.policy-domain"), path);

            long successes = 0, failures = 0;
            if (entry.TryGetProperty("summary", out var summary) && summary.ValueKind == JsonValueKind.Object)
            {
                successes = Count(summary, "total-successful-session-count", path + ".summary");
                failures = Count(summary, "total-failure-session-count", path + ".summary");
            }
            else
            {
                Flag(ReportFlags.MissingField, path + ".summary");
            }

            var details = new List<TlsReportFailureDetail>();
            if (entry.TryGetProperty("failure-details", out var detailsElement) && detailsElement.ValueKind == JsonValueKind.Array)
            {
                var i = 0;
                foreach (var d in detailsElement.EnumerateArray())
                {
                    if (++_failureDetails > limits.MaxFailureDetails)
                    {
                        throw new InvalidReportException($"more than {limits.MaxFailureDetails} failure-details entries");
                    }

                    details.Add(ReadFailure(d, $"{path}.failure-details[{i++}]"));
                }
            }

            var detailed = details.Sum(d => d.FailedSessionCount);
            if (details.Count > 0 && detailed != failures)
            {
                Flag(ReportFlags.FailureCountMismatch, $"{path}: failure-details sum to {detailed}, total-failure-session-count is {failures}");
            }

            return new TlsReportPolicy(type, strings, domain, mx, successes, failures, details);
        }

        private string? PolicyDomain(string? sent, string path)
        {
            if (sent is null)
            {
                if (fallbackPolicyDomain is not null && DomainName.TryParse(fallbackPolicyDomain, out var inferred, out _))
                {
                    Flag(ReportFlags.PolicyDomainInferred, $"{path}.policy.policy-domain missing; {inferred} taken from the mail or file name");
                    return inferred.Value;
                }

                Flag(ReportFlags.PolicyDomainMissing, path + ".policy.policy-domain");
                return null;
            }

            if (DomainName.TryParse(sent, out var name, out _))
            {
                return name.Value;
            }

            Flag(ReportFlags.PolicyDomainInvalid, $"{path}.policy.policy-domain '{sent}'");
            return sent;
        }

        private TlsReportFailureDetail ReadFailure(JsonElement d, string path)
        {
            if (d.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidReportException(path + " is not an object");
            }

            var type = OptionalString(d, "result-type", path + ".result-type") ?? throw new InvalidReportException(path + ".result-type is missing");
            if (!new ResultType(type).IsKnown)
            {
                Flag(ReportFlags.UnknownResultType, $"{path}.result-type '{type}'");
            }

            var mxHost = OptionalString(d, "receiving-mx-hostname", path);
            if (mxHost is null && OptionalString(d, "receiving-mx-host-name", path) is { } misspelt)
            {
                Flag(ReportFlags.AlternateKeyName, $"{path}: receiving-mx-host-name read as receiving-mx-hostname");
                mxHost = misspelt;
            }

            var info = OptionalString(d, "additional-information", path);
            if (info is null && OptionalString(d, "additional-info-uri", path) is { } uri)
            {
                Flag(ReportFlags.AlternateKeyName, $"{path}: additional-info-uri read as additional-information");
                info = uri;
            }

            return new TlsReportFailureDetail(
                type,
                OptionalString(d, "sending-mta-ip", path),
                mxHost,
                OptionalString(d, "receiving-mx-helo", path),
                OptionalString(d, "receiving-ip", path),
                Count(d, "failed-session-count", path),
                info,
                OptionalString(d, "failure-reason-code", path));
        }

        private long Count(JsonElement parent, string name, string path)
        {
            if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                Flag(ReportFlags.MissingField, $"{path}.{name}");
                return 0;
            }

            long count;
            if (value.ValueKind == JsonValueKind.Number)
            {
                if (!value.TryGetInt64(out count))
                {
                    throw new InvalidReportException($"{path}.{name} is not a whole number from 0 to {long.MaxValue} (got {Quote.Shorten(value.GetRawText())})");
                }
            }
            else if (value.ValueKind == JsonValueKind.String
                && long.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out count))
            {
                Flag(ReportFlags.NumberAsString, $"{path}.{name}");
            }
            else
            {
                throw new InvalidReportException($"{path}.{name} is not a number");
            }

            return count >= 0 ? count : throw new InvalidReportException($"{path}.{name} is negative");
        }

        private DateTimeOffset RequiredDate(JsonElement parent, string name)
        {
            var text = RequiredString(parent, name);
            var styles = DateTimeStyles.AllowWhiteSpaces;
            // RFC 3339 with an offset or Z; some senders (Microsoft, 2023-24) omit the zone: UTC.
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, styles | DateTimeStyles.AssumeUniversal, out var value)
                && (text.Contains('T') || text.Contains(' ')))
            {
                var hasZone = text.EndsWith('Z') || text.EndsWith('z') || System.Text.RegularExpressions.Regex.IsMatch(text, @"[+-]\d\d:?\d\d\s*$");
                if (!hasZone)
                {
                    Flag(ReportFlags.DateWithoutTimeZone, $"date-range.{name} '{text}' read as UTC");
                }

                return value.ToUniversalTime();
            }

            throw new InvalidReportException($"date-range.{name} '{Quote.Shorten(text)}' is not a date-time");
        }

        private string RequiredString(JsonElement parent, string name)
        {
            var value = OptionalString(parent, name, name);
            return string.IsNullOrWhiteSpace(value) ? throw new InvalidReportException(name + " is missing") : value;
        }

        private string? OptionalString(JsonElement parent, string name, string path)
        {
            if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            var text = value.ValueKind switch
            {
                JsonValueKind.String => value.GetString()!,
                JsonValueKind.Number => value.GetRawText(),
                _ => throw new InvalidReportException($"{path} is a {value.ValueKind.ToString().ToLowerInvariant()}, not a string"),
            };
            return text.Length > limits.MaxStringLength
                ? throw new InvalidReportException($"{path} is longer than {limits.MaxStringLength} characters")
                : text;
        }

        private List<string> StringList(JsonElement parent, string name, string path)
        {
            if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return [];
            }

            if (value.ValueKind == JsonValueKind.String)
            {
                Flag(ReportFlags.StringForArray, $"{path}.{name} is a string");
                return [OptionalString(parent, name, $"{path}.{name}")!];
            }

            if (value.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidReportException($"{path}.{name} is neither an array nor a string");
            }

            var list = new List<string>();
            foreach (var item in value.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String)
                {
                    throw new InvalidReportException($"{path}.{name} holds a {item.ValueKind.ToString().ToLowerInvariant()}, not a string");
                }

                var text = item.GetString()!;
                list.Add(text.Length > limits.MaxStringLength
                    ? throw new InvalidReportException($"{path}.{name} holds a string longer than {limits.MaxStringLength} characters")
                    : text);
            }

            return list;
        }

        private void Flag(string code, string detail) => _flags.Add(new ReportFlag(code, detail));

    }
}
