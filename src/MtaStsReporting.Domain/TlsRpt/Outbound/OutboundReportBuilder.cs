using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace MtaStsReporting.Domain.TlsRpt.Outbound;

/// <summary>
/// Builds the RFC 8460 report (§4.4) we owe one recipient policy domain for one UTC day, from the
/// counts our relays reported. The output is strict: every field the RFC requires, with its type,
/// and no other key; the same counts always give the same bytes.
/// </summary>
public static class OutboundReportBuilder
{
    /// <summary>The <c>failure-reason-code</c> of the detail that stands for failed sessions the relays reported no detail for.</summary>
    public const string NoDetailReason = "the relay reported no failure detail for these sessions";

    /// <summary>
    /// The report. <paramref name="policies"/> are the day's counts per policy applied, details
    /// with their counts; policies without sessions are left out.
    /// </summary>
    /// <exception cref="ArgumentException">No policy has a session, or there is no destination.</exception>
    public static OutboundReport Build(ReportSubmitter submitter, DateOnly day, string policyDomain, IReadOnlyList<Uri> destinations, IEnumerable<TlsReportPolicy> policies)
    {
        if (destinations.Count == 0)
        {
            throw new ArgumentException("A report needs at least one destination.", nameof(destinations));
        }

        // Sorted so that a rebuild from the same counts writes the same bytes.
        var ordered = policies
            .Where(p => p.TotalSuccessfulSessionCount + p.TotalFailureSessionCount > 0)
            .OrderBy(p => p.PolicyType, StringComparer.Ordinal)
            .ThenBy(p => string.Join('\n', p.PolicyStrings), StringComparer.Ordinal)
            .ThenBy(p => string.Join('\n', p.MxHosts), StringComparer.Ordinal)
            .ToList();
        if (ordered.Count == 0)
        {
            throw new ArgumentException($"No sessions to {policyDomain} on {day:yyyy-MM-dd}.", nameof(policies));
        }

        var report = new OutboundReport(ReportId(submitter, day, policyDomain, destinations), day, policyDomain, destinations, [],
            ordered.Sum(p => p.TotalSuccessfulSessionCount + p.TotalFailureSessionCount), ordered.Sum(p => p.TotalFailureSessionCount));
        return report with { Json = Write(submitter, report, ordered) };
    }

    /// <summary>
    /// The <c>report-id</c> (§4.4 leaves the scheme to the sender): the day, the policy domain and a
    /// digest of the submitter and the destinations, at the submitter's domain. It depends on
    /// nothing that a rebuild changes, so a report built again (after a crash, or by an admin)
    /// keeps its id, and a receiver that already has it sees the same report.
    /// </summary>
    public static string ReportId(ReportSubmitter submitter, DateOnly day, string policyDomain, IReadOnlyList<Uri> destinations)
    {
        var key = string.Join('\n', [submitter.Domain, policyDomain, day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), .. destinations.Select(d => d.OriginalString)]);
        var digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)).AsSpan(0, 8));
        return $"{day:yyyy-MM-dd}.{policyDomain}.{digest}@{submitter.Domain}";
    }

    private static byte[] Write(ReportSubmitter submitter, OutboundReport report, List<TlsReportPolicy> policies)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("organization-name", submitter.OrganizationName);
            json.WriteStartObject("date-range");
            json.WriteString("start-datetime", report.Start.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("end-datetime", report.End.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteEndObject();
            json.WriteString("contact-info", submitter.ContactInfo);
            json.WriteString("report-id", report.ReportId);
            json.WriteStartArray("policies");
            foreach (var policy in policies)
            {
                WritePolicy(json, report.PolicyDomain, policy);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void WritePolicy(Utf8JsonWriter json, string policyDomain, TlsReportPolicy policy)
    {
        json.WriteStartObject();
        json.WriteStartObject("policy");
        json.WriteString("policy-type", policy.PolicyType);
        if (policy.PolicyStrings.Count > 0)
        {
            WriteStrings(json, "policy-string", policy.PolicyStrings);
        }

        json.WriteString("policy-domain", policyDomain);
        if (policy.MxHosts.Count > 0)
        {
            WriteStrings(json, "mx-host", policy.MxHosts);
        }

        json.WriteEndObject();
        json.WriteStartObject("summary");
        json.WriteNumber("total-successful-session-count", policy.TotalSuccessfulSessionCount);
        json.WriteNumber("total-failure-session-count", policy.TotalFailureSessionCount);
        json.WriteEndObject();

        var details = Details(policy);
        if (details.Count > 0)
        {
            json.WriteStartArray("failure-details");
            foreach (var detail in details)
            {
                WriteDetail(json, detail);
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
    }

    /// <summary>
    /// The details to send, sorted. RFC 8460 §4.3 counts per detail the sessions that match it, so
    /// failed sessions that no detail describes (a relay that said only "failed") would vanish
    /// from the details; they are sent as one <c>validation-failure</c> (§4.3.1: "a reason not
    /// matching a category above") that says so, and the details add up to the failures.
    /// Details that add up to more (a session that matched several, which §4.3 allows) are sent
    /// as counted.
    /// </summary>
    public static IReadOnlyList<TlsReportFailureDetail> Details(TlsReportPolicy policy)
    {
        var details = policy.FailureDetails
            .Where(d => d.FailedSessionCount > 0)
            .OrderBy(d => d.ResultType, StringComparer.Ordinal)
            .ThenBy(d => d.ReceivingMxHostname, StringComparer.Ordinal)
            .ThenBy(d => d.ReceivingIp, StringComparer.Ordinal)
            .ThenBy(d => d.SendingMtaIp, StringComparer.Ordinal)
            .ThenBy(d => d.ReceivingMxHelo, StringComparer.Ordinal)
            .ThenBy(d => d.FailureReasonCode, StringComparer.Ordinal)
            .ThenBy(d => d.AdditionalInformation, StringComparer.Ordinal)
            .ToList();
        var undescribed = policy.TotalFailureSessionCount - details.Sum(d => d.FailedSessionCount);
        if (undescribed > 0)
        {
            details.Add(new TlsReportFailureDetail(ResultType.ValidationFailure.Name, null, null, null, null, undescribed, null, NoDetailReason));
        }

        return details;
    }

    private static void WriteDetail(Utf8JsonWriter json, TlsReportFailureDetail detail)
    {
        json.WriteStartObject();
        json.WriteString("result-type", detail.ResultType);
        WriteOptional(json, "sending-mta-ip", detail.SendingMtaIp);
        WriteOptional(json, "receiving-mx-hostname", detail.ReceivingMxHostname);
        WriteOptional(json, "receiving-mx-helo", detail.ReceivingMxHelo);
        WriteOptional(json, "receiving-ip", detail.ReceivingIp);
        json.WriteNumber("failed-session-count", detail.FailedSessionCount);
        WriteOptional(json, "additional-information", detail.AdditionalInformation);
        WriteOptional(json, "failure-reason-code", detail.FailureReasonCode);
        json.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter json, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            json.WriteString(name, value);
        }
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, IReadOnlyList<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }
}
