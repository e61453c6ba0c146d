namespace MtaStsReporting.Domain.MtaSts;

/// <summary>An MTA-STS policy as published at <c>/.well-known/mta-sts.txt</c> (RFC 8461 §3.2).</summary>
/// <param name="Mode">The policy mode.</param>
/// <param name="MaxAge">Seconds a sender may cache the policy.</param>
/// <param name="Mx">The <c>mx</c> patterns, in the order published.</param>
public sealed record StsPolicy(StsPolicyMode Mode, long MaxAge, IReadOnlyList<MxPattern> Mx)
{
    /// <summary>RFC 8461 §3.2: max_age is at most 31557600 seconds (about one year).</summary>
    public const long MaxMaxAge = 31_557_600;

    /// <summary>A common cap on the policy body; RFC 8461 §3.3 leaves the exact size to senders.</summary>
    public const int MaxTextBytes = 64 * 1024;

    /// <summary>
    /// Whether an MX host name matches one of the <c>mx</c> lines (RFC 8461 §4.1): a sender
    /// applying the policy in enforce delivers only to such hosts. A name that is not a valid
    /// host name matches nothing.
    /// </summary>
    public bool Covers(string host) =>
        Names.DomainName.TryParse(host, out var name, out _) && Mx.Any(p => p.Matches(name));

    /// <summary>The policy as the lines RFC 8460 puts in <c>policy-string</c>.</summary>
    public IReadOnlyList<string> ToPolicyStrings()
    {
        var lines = new List<string>(3 + Mx.Count)
        {
            "version: STSv1",
            "mode: " + Mode.ToRfcName(),
        };
        lines.AddRange(Mx.Select(p => "mx: " + p.Value));
        lines.Add("max_age: " + MaxAge.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return lines;
    }

    /// <summary>
    /// The policy file's body as served at <c>/.well-known/mta-sts.txt</c>: the lines of
    /// <see cref="ToPolicyStrings"/>, each ended by CRLF (RFC 8461 §3.2 allows LF or CRLF; its
    /// example uses CRLF). Parsing it gives this policy back.
    /// </summary>
    public string ToText() => string.Concat(ToPolicyStrings().Select(line => line + "\r\n"));

    /// <summary>
    /// Parses a policy body. A policy that breaks RFC 8461 §3.2 yields an error, never an
    /// exception: an invalid policy is an ordinary outcome (<c>sts-policy-invalid</c>).
    /// </summary>
    public static StsPolicyParseResult Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string? version = null;
        StsPolicyMode? mode = null;
        long? maxAge = null;
        var mx = new List<MxPattern>();

        // Lines end in LF or CRLF (§3.2: sts-policy-term = LF / CRLF).
        var lineNumber = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var line = rawLine.EndsWith('\r') ? rawLine[..^1] : rawLine;
            if (line.Trim().Length == 0)
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return StsPolicyParseResult.Fail($"line {lineNumber}: expected 'key: value'");
            }

            var key = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            switch (key)
            {
                case "version":
                    if (version is not null)
                    {
                        return StsPolicyParseResult.Fail($"line {lineNumber}: 'version' appears twice");
                    }

                    version = value;
                    break;
                case "mode":
                    if (mode is not null)
                    {
                        return StsPolicyParseResult.Fail($"line {lineNumber}: 'mode' appears twice");
                    }

                    if (!StsPolicyModeNames.TryParse(value, out var m))
                    {
                        return StsPolicyParseResult.Fail($"line {lineNumber}: mode '{value}' is not enforce, testing or none");
                    }

                    mode = m;
                    break;
                case "max_age":
                    if (maxAge is not null)
                    {
                        return StsPolicyParseResult.Fail($"line {lineNumber}: 'max_age' appears twice");
                    }

                    // §3.2: max-age-value = 1*10DIGIT, at most 31557600.
                    if (value.Length is 0 or > 10 || !value.All(char.IsAsciiDigit)
                        || !long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var age)
                        || age > StsPolicy.MaxMaxAge)
                    {
                        return StsPolicyParseResult.Fail($"line {lineNumber}: max_age '{value}' is not a number of seconds up to {StsPolicy.MaxMaxAge}");
                    }

                    maxAge = age;
                    break;
                case "mx":
                    if (!MxPattern.TryParse(value, out var pattern, out var error))
                    {
                        return StsPolicyParseResult.Fail($"line {lineNumber}: mx '{value}' {error}");
                    }

                    mx.Add(pattern);
                    break;
                default:
                    // §3.2: unknown fields are ignored, so that the format can grow.
                    break;
            }
        }

        if (version != "STSv1")
        {
            return StsPolicyParseResult.Fail(version is null ? "'version' is missing" : $"version '{version}' is not STSv1");
        }

        if (mode is null)
        {
            return StsPolicyParseResult.Fail("'mode' is missing");
        }

        if (maxAge is null)
        {
            return StsPolicyParseResult.Fail("'max_age' is missing");
        }

        if (mx.Count == 0 && mode != StsPolicyMode.None)
        {
            return StsPolicyParseResult.Fail($"'mx' is required in mode {mode.Value.ToRfcName()}");
        }

        return StsPolicyParseResult.Ok(new StsPolicy(mode.Value, maxAge.Value, mx));
    }
}

/// <summary>The outcome of <see cref="StsPolicy.Parse"/>: a policy, or why there is none.</summary>
public sealed record StsPolicyParseResult(StsPolicy? Policy, string? Error)
{
    /// <summary>True when a policy was read.</summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(true, nameof(Policy))]
    [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(false, nameof(Error))]
    public bool IsValid => Policy is not null;

    internal static StsPolicyParseResult Ok(StsPolicy policy) => new(policy, null);

    internal static StsPolicyParseResult Fail(string error) => new(null, error);
}
