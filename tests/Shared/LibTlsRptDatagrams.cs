using System.Text;

namespace MtaStsReporting.Testing;

/// <summary>A failure detail as an MTA hands it to libtlsrpt; null fields are left out, as the library leaves them out.</summary>
public sealed record LibTlsRptFailure(int Code, string? SendingIp = null, string? MxHostname = null, string? Helo = null,
    string? ReceivingIp = null, string? AdditionalInformation = null, string? ReasonCode = null);

/// <summary>A policy object of a datagram: <paramref name="Failed"/> is <c>f</c>; <paramref name="T"/> overrides the detail count libtlsrpt writes.</summary>
public sealed record LibTlsRptPolicy(int PolicyType, string? PolicyDomain, IReadOnlyList<string>? PolicyStrings, IReadOnlyList<string>? MxHosts,
    IReadOnlyList<LibTlsRptFailure>? Failures, bool Failed, int? T = null);

/// <summary>
/// Writes datagrams exactly as libtlsrpt 0.5.1 writes them (SPEC.md, "Relays as they are"):
/// members in the library's order, <c>"key": "value"</c> for strings and <c>"key":2</c> for
/// numbers and arrays, string members left out when absent, empty arrays left out, and its JSON
/// escaping (quote, backslash, control characters; other bytes passed through as given).
/// </summary>
public static class LibTlsRptDatagrams
{
    /// <summary>The datagram SPEC.md shows, captured from the library.</summary>
    public const string Captured =
        "{\"dpv\": \"1\",\"d\": \"example.com\",\"pr\": \"v=TLSRPTv1; rua=mailto:tlsrpt@example.com\","
        + "\"policies\":[{\"policy-type\":2,\"policy-domain\": \"example.com\","
        + "\"policy-string\":[\"version: STSv1\",\"mode: testing\",\"mx: *.example.com\",\"max_age: 86400\"],"
        + "\"mx-host\":[\"*.example.com\"],"
        + "\"failure-details\":[{\"c\":204,\"s\": \"192.0.2.1\",\"n\": \"mx1.example.com\",\"h\": \"mx1.example.com\","
        + "\"r\": \"198.51.100.7\",\"f\": \"cert \\\"expired\\\"\"}],\"t\":1,\"f\":1}]}";

    /// <summary>An STS policy in testing mode for <paramref name="domain"/>, as Postfix passes it.</summary>
    public static LibTlsRptPolicy Sts(string domain, bool failed = false, params LibTlsRptFailure[] failures) =>
        new(2, domain, ["version: STSv1", "mode: testing", $"mx: *.{domain}", "max_age: 86400"], [$"*.{domain}"], failures, failed);

    /// <summary>One datagram's bytes.</summary>
    public static byte[] Write(string domain, string? record, params LibTlsRptPolicy[] policies) => Write("1", domain, record, policies);

    /// <summary>One datagram's bytes, with any protocol version (null leaves it out).</summary>
    public static byte[] Write(string? version, string? domain, string? record, IReadOnlyList<LibTlsRptPolicy>? policies)
    {
        var b = new StringBuilder("{");
        var first = true;
        Str(b, ref first, "dpv", version);
        Str(b, ref first, "d", domain);
        Str(b, ref first, "pr", record);
        if (policies is not null)
        {
            Sep(b, ref first).Append("\"policies\":[");
            for (var i = 0; i < policies.Count; i++)
            {
                b.Append(i > 0 ? ",{" : "{");
                var p = policies[i];
                var inner = true;
                Sep(b, ref inner).Append("\"policy-type\":").Append(p.PolicyType);
                Str(b, ref inner, "policy-domain", p.PolicyDomain);
                Strings(b, ref inner, "policy-string", p.PolicyStrings);
                Strings(b, ref inner, "mx-host", p.MxHosts);
                if (p.Failures is { Count: > 0 })
                {
                    Sep(b, ref inner).Append("\"failure-details\":[");
                    for (var j = 0; j < p.Failures.Count; j++)
                    {
                        var f = p.Failures[j];
                        b.Append(j > 0 ? ",{" : "{").Append("\"c\":").Append(f.Code);
                        var d = false;
                        Str(b, ref d, "s", f.SendingIp);
                        Str(b, ref d, "n", f.MxHostname);
                        Str(b, ref d, "h", f.Helo);
                        Str(b, ref d, "r", f.ReceivingIp);
                        Str(b, ref d, "a", f.AdditionalInformation);
                        Str(b, ref d, "f", f.ReasonCode);
                        b.Append('}');
                    }

                    b.Append(']');
                }

                Sep(b, ref inner).Append("\"t\":").Append(p.T ?? p.Failures?.Count ?? 0);
                Sep(b, ref inner).Append("\"f\":").Append(p.Failed ? 1 : 0);
                b.Append('}');
            }

            b.Append(']');
        }

        b.Append('}');
        return Encoding.UTF8.GetBytes(b.ToString());
    }

    private static StringBuilder Sep(StringBuilder b, ref bool first)
    {
        if (!first)
        {
            b.Append(',');
        }

        first = false;
        return b;
    }

    private static void Str(StringBuilder b, ref bool first, string key, string? value)
    {
        if (value is not null)
        {
            Escaped(Sep(b, ref first).Append('"').Append(key).Append("\": \""), value).Append('"');
        }
    }

    private static void Strings(StringBuilder b, ref bool first, string key, IReadOnlyList<string>? values)
    {
        if (values is not { Count: > 0 })
        {
            return;
        }

        Sep(b, ref first).Append('"').Append(key).Append("\":[");
        for (var i = 0; i < values.Count; i++)
        {
            Escaped(b.Append(i > 0 ? ",\"" : "\""), values[i]).Append('"');
        }

        b.Append(']');
    }

    private static StringBuilder Escaped(StringBuilder b, string value)
    {
        foreach (var c in value)
        {
            _ = c switch
            {
                '"' => b.Append("\\\""),
                '\\' => b.Append("\\\\"),
                < ' ' => b.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture)),
                _ => b.Append(c),
            };
        }

        return b;
    }
}
