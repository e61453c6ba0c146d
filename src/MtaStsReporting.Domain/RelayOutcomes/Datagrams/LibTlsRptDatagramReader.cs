using System.Text;
using System.Text.Json;
using MtaStsReporting.Domain.MtaSts;
using MtaStsReporting.Domain.Names;
using MtaStsReporting.Domain.TlsRpt;

namespace MtaStsReporting.Domain.RelayOutcomes.Datagrams;

/// <summary>
/// Reads the JSON datagram libtlsrpt (Postfix 3.10 and later) sends for each delivery attempt
/// (SPEC.md, "Relays as they are"). Every field is checked with the rules of the gRPC relay
/// path (<see cref="OutcomeFields"/>); a datagram that breaks one is refused whole, with the
/// field named, so that what is counted is always reportable. Odd but countable datagrams are
/// kept as the reference collector keeps them, and noted (<see cref="DatagramNotes"/>).
/// </summary>
/// <remarks>
/// Sessions are counted under <c>d</c>, the recipient domain whose TLSRPT record the MTA looked
/// up: the report for that domain's <c>rua</c> is where they belong. An instance caches the
/// domains and policies it has checked (relays report the same few over and over) and must
/// be used by one thread at a time.
/// </remarks>
public sealed class LibTlsRptDatagramReader
{
    /// <summary>The one datagram protocol version libtlsrpt writes.</summary>
    public const string ProtocolVersion = "1";

    private const int CacheLimit = 100_000;

    private readonly Dictionary<string, DomainName> _domains = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AppliedPolicy> _policies = new(StringComparer.Ordinal);
    private readonly StringBuilder _policyKey = new();

    /// <summary>libtlsrpt's failure codes and the RFC 8460 §4.3 result type each stands for.</summary>
    public static ResultType? ResultTypeOf(int code) => code switch
    {
        201 => ResultType.StartTlsNotSupported,
        202 => ResultType.CertificateHostMismatch,
        203 => ResultType.CertificateNotTrusted,
        204 => ResultType.CertificateExpired,
        205 => ResultType.ValidationFailure,
        301 => ResultType.StsPolicyFetchError,
        302 => ResultType.StsPolicyInvalid,
        303 => ResultType.StsWebPkiInvalid,
        304 => ResultType.TlsaInvalid,
        305 => ResultType.DnssecInvalid,
        306 => ResultType.DaneRequired,
        _ => null,
    };

    /// <summary>Reads one datagram's bytes.</summary>
    public DatagramReadResult Read(ReadOnlySpan<byte> bytes)
    {
        var notes = DatagramNotes.None;
        byte[]? repaired = null;
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            // An MTA may pass on bytes from the remote server as they came: they are read as
            // U+FFFD, as any UTF-8 decoder would show them, and the datagram still counts.
            repaired = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(bytes));
            notes |= DatagramNotes.NotUtf8;
        }

        RawDatagram raw;
        try
        {
            var json = new Utf8JsonReader(repaired ?? bytes, new JsonReaderOptions { MaxDepth = 8 });
            if (ReadRaw(ref json, out raw) is { } fieldProblem)
            {
                return DatagramReadResult.Refused(DatagramRefusal.BadField, fieldProblem);
            }
        }
        catch (JsonException ex)
        {
            return DatagramReadResult.Refused(DatagramRefusal.NotJson, $"not JSON: {ex.Message}");
        }
        catch (InvalidOperationException ex)
        {
            // A string the reader cannot turn into text: an escaped lone surrogate ("\ud800").
            return DatagramReadResult.Refused(DatagramRefusal.NotJson, $"not JSON text: {ex.Message}");
        }

        return Check(raw, notes);
    }

    private DatagramReadResult Check(RawDatagram raw, DatagramNotes notes)
    {
        if (raw.Version != ProtocolVersion)
        {
            return DatagramReadResult.Refused(DatagramRefusal.WrongVersion,
                raw.Version is null ? "dpv: missing" : $"dpv: '{Quote.Shorten(raw.Version)}' is not the version \"1\" libtlsrpt writes");
        }

        if (raw.Domain is null)
        {
            return DatagramReadResult.Refused(DatagramRefusal.NoDomain, "d: missing");
        }

        if (ReadDomain(raw.Domain, "d", out var domain) is { } domainRefusal)
        {
            return domainRefusal with { Refusal = DatagramRefusal.NoDomain };
        }

        if (raw.Policies is not { Count: > 0 })
        {
            return DatagramReadResult.Refused(DatagramRefusal.NoPolicies, "policies: missing or empty");
        }

        if (raw.Record is not null && Text(raw.Record, OutcomeFields.MaxTlsRptRecordLength, "pr") is { } recordRefusal)
        {
            return recordRefusal;
        }

        var sessions = new DatagramSession[raw.Policies.Count];
        for (var i = 0; i < sessions.Length; i++)
        {
            var refusal = CheckPolicy(raw.Policies[i], $"policies[{i}]", ref notes, out var session);
            if (refusal is not null)
            {
                return refusal.Value;
            }

            sessions[i] = session!;
        }

        return new DatagramReadResult(new LibTlsRptDatagram(domain, raw.Record, sessions), null, notes, null);
    }

    private DatagramReadResult? CheckPolicy(RawPolicy raw, string path, ref DatagramNotes notes, out DatagramSession? session)
    {
        session = null;
        PolicyType type;
        switch (raw.Type)
        {
            case 1: type = PolicyType.Tlsa; break;
            case 2: type = PolicyType.Sts; break;
            case 9: type = PolicyType.NoPolicyFound; break;
            case null: return DatagramReadResult.Refused(DatagramRefusal.UnknownPolicyType, path + ".policy-type: missing");
            default: return DatagramReadResult.Refused(DatagramRefusal.UnknownPolicyType, $"{path}.policy-type: {raw.Type} is not 1 (tlsa), 2 (sts) or 9 (no-policy-found)");
        }

        if (raw.Result is not (0 or 1))
        {
            return DatagramReadResult.Refused(DatagramRefusal.BadField, raw.Result is null ? path + ".f: missing" : $"{path}.f: {raw.Result} is not 0 (success) or 1 (failure)");
        }

        if (raw.PolicyDomain is not null && ReadDomain(raw.PolicyDomain, path + ".policy-domain", out _) is { } policyDomainRefusal)
        {
            return policyDomainRefusal;
        }

        var refusal = GetPolicy(type, raw, path, out var policy);
        if (refusal is not null)
        {
            return refusal;
        }

        // Stryker disable once all : a capacity only.
        var details = new List<FailureDetail>(raw.Details?.Count ?? 0);
        for (var i = 0; i < (raw.Details?.Count ?? 0); i++)
        {
            var detailRefusal = CheckDetail(raw.Details![i], $"{path}.failure-details[{i}]", ref notes, out var detail);
            if (detailRefusal is not null)
            {
                return detailRefusal;
            }

            if (detail is not null)
            {
                details.Add(detail);
            }
        }

        if (raw.DetailCount is { } t && t != (raw.Details?.Count ?? 0))
        {
            notes |= DatagramNotes.CountMismatch;
        }

        session = new DatagramSession(policy!, raw.Result == 1, details);
        return null;
    }

    private DatagramReadResult? GetPolicy(PolicyType type, RawPolicy raw, string path, out AppliedPolicy? policy)
    {
        policy = null;
        var strings = raw.Strings ?? [];
        var mx = raw.MxHosts ?? [];
        _policyKey.Clear().Append((int)type);
        foreach (var s in strings)
        {
            _policyKey.Append('\n').Append(s);
        }

        _policyKey.Append('\0');
        foreach (var m in mx)
        {
            _policyKey.Append('\n').Append(m);
        }

        var key = _policyKey.ToString();
        // Stryker disable once all : the cache only saves checking a policy again.
        if (_policies.TryGetValue(key, out policy))
        {
            return null;
        }

        if (type == PolicyType.NoPolicyFound && (strings.Count > 0 || mx.Count > 0))
        {
            return DatagramReadResult.Refused(DatagramRefusal.BadField, path + ": a no-policy-found policy (9) has no policy-string and no mx-host");
        }

        if (strings.Count > OutcomeFields.MaxPolicyStrings)
        {
            return DatagramReadResult.Refused(DatagramRefusal.OversizedString, $"{path}.policy-string: {strings.Count} lines; at most {OutcomeFields.MaxPolicyStrings}");
        }

        for (var i = 0; i < strings.Count; i++)
        {
            if (Text(strings[i], OutcomeFields.MaxPolicyStringLength, $"{path}.policy-string[{i}]") is { } r)
            {
                return r;
            }
        }

        if (mx.Count > OutcomeFields.MaxMxHosts)
        {
            return DatagramReadResult.Refused(DatagramRefusal.OversizedString, $"{path}.mx-host: {mx.Count} patterns; at most {OutcomeFields.MaxMxHosts}");
        }

        var patterns = new string[mx.Count];
        for (var i = 0; i < patterns.Length; i++)
        {
            if (!MxPattern.TryParse(mx[i], out var pattern, out var error))
            {
                return DatagramReadResult.Refused(DatagramRefusal.BadField, $"{path}.mx-host[{i}]: {error}");
            }

            patterns[i] = pattern.Value;
        }

        policy = new AppliedPolicy(type, strings.ToArray(), patterns);
        // Stryker disable once all : the cache only saves checking a policy again.
        Remember(_policies, key, policy);
        return null;
    }

    private DatagramReadResult? CheckDetail(RawDetail raw, string path, ref DatagramNotes notes, out FailureDetail? detail)
    {
        detail = null;
        if (raw.Code is not { } code)
        {
            return DatagramReadResult.Refused(DatagramRefusal.BadField, path + ".c: missing");
        }

        string? sendingIp = null, receivingIp = null, mxHost = null;
        if (raw.SendingIp is not null && !OutcomeFields.TryNormaliseIp(raw.SendingIp, out sendingIp!))
        {
            return DatagramReadResult.Refused(DatagramRefusal.BadField, $"{path}.s: '{Quote.Shorten(raw.SendingIp)}' is not an IPv4 or IPv6 address");
        }

        if (raw.ReceivingIp is not null && !OutcomeFields.TryNormaliseIp(raw.ReceivingIp, out receivingIp!))
        {
            return DatagramReadResult.Refused(DatagramRefusal.BadField, $"{path}.r: '{Quote.Shorten(raw.ReceivingIp)}' is not an IPv4 or IPv6 address");
        }

        if (raw.MxHostname is not null)
        {
            if (ReadDomain(raw.MxHostname, path + ".n", out var host) is { } hostRefusal)
            {
                return hostRefusal;
            }

            mxHost = host.Value;
        }

        if (Text(raw.Helo, OutcomeFields.MaxHeloLength, path + ".h") is { } heloRefusal)
        {
            return heloRefusal;
        }

        if (Text(raw.Reason, OutcomeFields.MaxReasonLength, path + ".f") is { } reasonRefusal)
        {
            return reasonRefusal;
        }

        if (Text(raw.Additional, OutcomeFields.MaxAdditionalInformationLength, path + ".a") is { } infoRefusal)
        {
            return infoRefusal;
        }

        if (ResultTypeOf(code) is not { } resultType)
        {
            // No RFC 8460 result type to report it under: the failed session still counts.
            notes |= code == 901 ? DatagramNotes.InternalFailureCode : DatagramNotes.UnknownFailureCode;
            return null;
        }

        detail = new FailureDetail(resultType, sendingIp, mxHost, Empty(raw.Helo), receivingIp, Empty(raw.Reason), Empty(raw.Additional));
        return null;
    }

    private DatagramReadResult? ReadDomain(string text, string field, out DomainName domain)
    {
        if (_domains.TryGetValue(text, out domain))
        {
            return null;
        }

        if (!DomainName.TryParse(text, out domain, out var error))
        {
            return DatagramReadResult.Refused(DatagramRefusal.BadField, $"{field}: {error}");
        }

        // Stryker disable once all : the cache only saves checking a domain again.
        Remember(_domains, text, domain);
        return null;
    }

    private static DatagramReadResult? Text(string? text, int maxLength, string field)
    {
        if (text is null)
        {
            return null;
        }

        if (OutcomeFields.CheckText(text, maxLength) is not { } problem)
        {
            return null;
        }

        return DatagramReadResult.Refused(text.Length > maxLength ? DatagramRefusal.OversizedString : DatagramRefusal.BadField, $"{field}: {problem}");
    }

    private static string? Empty(string? text) => string.IsNullOrEmpty(text) ? null : text;

    private static void Remember<T>(Dictionary<string, T> cache, string key, T value)
    {
        // A hard cap instead of an LRU: the working set is small and stable, and a rare reset
        // costs a few checks again, never memory.
        // Stryker disable all : the cap bounds memory; what is read does not depend on it.
        if (cache.Count >= CacheLimit)
        {
            cache.Clear();
        }

        // Stryker restore all

        cache[key] = value;
    }

    // ---- The JSON, as sent: types checked, meaning not yet. Unknown members are skipped, so
    // that a later libtlsrpt adding a member still reports. ----

    private sealed class RawDatagram
    {
        public string? Version;
        public string? Domain;
        public string? Record;
        public List<RawPolicy>? Policies;
    }

    private sealed class RawPolicy
    {
        public int? Type;
        public string? PolicyDomain;
        public List<string>? Strings;
        public List<string>? MxHosts;
        public List<RawDetail>? Details;
        public int? DetailCount;
        public int? Result;
    }

    private sealed class RawDetail
    {
        public int? Code;
        public string? SendingIp;
        public string? MxHostname;
        public string? Helo;
        public string? ReceivingIp;
        public string? Additional;
        public string? Reason;
    }

    private static string? ReadRaw(ref Utf8JsonReader json, out RawDatagram raw)
    {
        raw = new RawDatagram();
        if (!json.Read() || json.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("the datagram is not a JSON object");
        }

        while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
        {
            if (json.ValueTextEquals("dpv"u8))
            {
                // A version of another type is a wrong version, not a bad field.
                json.Read();
                raw.Version = json.TokenType == JsonTokenType.String ? json.GetString() : Skip(ref json, "(not a string)");
            }
            else if (json.ValueTextEquals("d"u8))
            {
                if (ReadString(ref json, "d", out raw.Domain) is { } p) { return p; }
            }
            else if (json.ValueTextEquals("pr"u8))
            {
                if (ReadString(ref json, "pr", out raw.Record) is { } p) { return p; }
            }
            else if (json.ValueTextEquals("policies"u8))
            {
                json.Read();
                if (json.TokenType != JsonTokenType.StartArray)
                {
                    return "policies: not an array";
                }

                raw.Policies = [];
                while (json.Read() && json.TokenType != JsonTokenType.EndArray)
                {
                    var path = $"policies[{raw.Policies.Count}]";
                    if (json.TokenType != JsonTokenType.StartObject)
                    {
                        return path + ": not an object";
                    }

                    if (ReadPolicy(ref json, path, out var policy) is { } p) { return p; }
                    raw.Policies.Add(policy);
                }
            }
            else
            {
                json.Skip();
            }
        }

        // Anything after the object (but white space) makes Read throw.
        json.Read();

        return null;
    }

    private static string? ReadPolicy(ref Utf8JsonReader json, string path, out RawPolicy policy)
    {
        policy = new RawPolicy();
        while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
        {
            string? p;
            if (json.ValueTextEquals("policy-type"u8)) { p = ReadInt(ref json, path + ".policy-type", out policy.Type); }
            else if (json.ValueTextEquals("policy-domain"u8)) { p = ReadString(ref json, path + ".policy-domain", out policy.PolicyDomain); }
            else if (json.ValueTextEquals("policy-string"u8)) { p = ReadStrings(ref json, path + ".policy-string", out policy.Strings); }
            else if (json.ValueTextEquals("mx-host"u8)) { p = ReadStrings(ref json, path + ".mx-host", out policy.MxHosts); }
            else if (json.ValueTextEquals("t"u8)) { p = ReadInt(ref json, path + ".t", out policy.DetailCount); }
            else if (json.ValueTextEquals("f"u8)) { p = ReadInt(ref json, path + ".f", out policy.Result); }
            else if (json.ValueTextEquals("failure-details"u8))
            {
                json.Read();
                if (json.TokenType != JsonTokenType.StartArray)
                {
                    return path + ".failure-details: not an array";
                }

                policy.Details = [];
                p = null;
                while (p is null && json.Read() && json.TokenType != JsonTokenType.EndArray)
                {
                    var detailPath = $"{path}.failure-details[{policy.Details.Count}]";
                    if (json.TokenType != JsonTokenType.StartObject)
                    {
                        return detailPath + ": not an object";
                    }

                    p = ReadDetail(ref json, detailPath, out var detail);
                    policy.Details.Add(detail);
                }
            }
            else
            {
                // On a member's name, Skip passes over its value, whatever it holds.
                json.Skip();
                p = null;
            }

            if (p is not null)
            {
                return p;
            }
        }

        return null;
    }

    private static string? ReadDetail(ref Utf8JsonReader json, string path, out RawDetail detail)
    {
        detail = new RawDetail();
        while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
        {
            string? p;
            if (json.ValueTextEquals("c"u8)) { p = ReadInt(ref json, path + ".c", out detail.Code); }
            else if (json.ValueTextEquals("s"u8)) { p = ReadString(ref json, path + ".s", out detail.SendingIp); }
            else if (json.ValueTextEquals("n"u8)) { p = ReadString(ref json, path + ".n", out detail.MxHostname); }
            else if (json.ValueTextEquals("h"u8)) { p = ReadString(ref json, path + ".h", out detail.Helo); }
            else if (json.ValueTextEquals("r"u8)) { p = ReadString(ref json, path + ".r", out detail.ReceivingIp); }
            else if (json.ValueTextEquals("a"u8)) { p = ReadString(ref json, path + ".a", out detail.Additional); }
            else if (json.ValueTextEquals("f"u8)) { p = ReadString(ref json, path + ".f", out detail.Reason); }
            else
            {
                // On a member's name, Skip passes over its value, whatever it holds.
                json.Skip();
                p = null;
            }

            if (p is not null)
            {
                return p;
            }
        }

        return null;
    }

    private static string? ReadString(ref Utf8JsonReader json, string field, out string? value)
    {
        json.Read();
        value = null;
        if (json.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (json.TokenType != JsonTokenType.String)
        {
            return field + ": not a string";
        }

        value = json.GetString();
        return null;
    }

    private static string? ReadInt(ref Utf8JsonReader json, string field, out int? value)
    {
        json.Read();
        value = null;
        if (json.TokenType != JsonTokenType.Number || !json.TryGetInt32(out var number))
        {
            return field + ": not a whole number";
        }

        value = number;
        return null;
    }

    private static string? ReadStrings(ref Utf8JsonReader json, string field, out List<string>? values)
    {
        json.Read();
        values = null;
        if (json.TokenType != JsonTokenType.StartArray)
        {
            return field + ": not an array of strings";
        }

        values = [];
        while (json.Read() && json.TokenType != JsonTokenType.EndArray)
        {
            if (json.TokenType != JsonTokenType.String)
            {
                return $"{field}[{values.Count}]: not a string";
            }

            values.Add(json.GetString()!);
        }

        return null;
    }

    private static string? Skip(ref Utf8JsonReader json, string placeholder)
    {
        json.Skip();
        return placeholder;
    }
}
