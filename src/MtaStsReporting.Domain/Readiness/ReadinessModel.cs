using MtaStsReporting.Domain.MtaSts;

namespace MtaStsReporting.Domain.Readiness;

/// <summary>The answer to "may this domain switch mode?".</summary>
public enum Verdict
{
    /// <summary>In testing, and the evidence says enforce would not have blocked legitimate mail.</summary>
    Ready,

    /// <summary>In testing, and something would break under enforce (or the live setup is broken).</summary>
    NotReady,

    /// <summary>In testing, but there is not enough evidence either way: silence is not success.</summary>
    InsufficientData,

    /// <summary>In enforce, and it holds.</summary>
    Keep,

    /// <summary>In enforce, and mail is being refused: go back to testing.</summary>
    RollBack,
}

/// <summary>The verdicts' names as the API, the CLI and the policy history give them.</summary>
public static class VerdictNames
{
    /// <summary><c>READY</c>, <c>NOT_READY</c>, <c>INSUFFICIENT_DATA</c>, <c>KEEP</c>, <c>ROLL_BACK</c>.</summary>
    public static string ToName(this Verdict verdict) => verdict switch
    {
        Verdict.Ready => "READY",
        Verdict.NotReady => "NOT_READY",
        Verdict.InsufficientData => "INSUFFICIENT_DATA",
        Verdict.Keep => "KEEP",
        _ => "ROLL_BACK",
    };
}

/// <summary>How much a reason weighs.</summary>
public enum Severity
{
    /// <summary>Context only.</summary>
    Info,

    /// <summary>Worth fixing; does not change the verdict.</summary>
    Warning,

    /// <summary>Missing evidence: the verdict is at best INSUFFICIENT_DATA.</summary>
    Insufficient,

    /// <summary>Decides the verdict: NOT_READY, or ROLL_BACK in enforce.</summary>
    Blocking,
}

/// <summary>One reason behind a verdict, with the evidence for it.</summary>
/// <param name="Code">Stable code, e.g. <c>enforce-would-block</c>.</param>
/// <param name="Severity">Its weight.</param>
/// <param name="Message">Plain words.</param>
/// <param name="Evidence">Counts, hosts, reporters, dates.</param>
public sealed record Reason(string Code, Severity Severity, string Message, IReadOnlyDictionary<string, string> Evidence);

/// <summary>The thresholds of the rules; the defaults follow common practice (SPEC.md).</summary>
public sealed record ReadinessRules
{
    /// <summary>Days of reports under the current policy needed before enforce.</summary>
    public int ObservationDays { get; set; } = 21;

    /// <summary>Distinct organisations that must have reported sts sessions for the current policy (each on at least <see cref="MinReporterDays"/> days).</summary>
    public int MinReporters { get; set; } = 2;

    /// <summary>Days within the window a reporter must have reported on to count: one reporter's single day is no track record.</summary>
    public int MinReporterDays { get; set; } = 7;

    /// <summary>Most consecutive days without a report of the current policy, inside the window and up to yesterday: silence is not success.</summary>
    public int MaxGapDays { get; set; } = 3;

    /// <summary>Sessions under the current policy needed over the observation period.</summary>
    public long MinSessions { get; set; } = 500;

    /// <summary>Sessions that enforce would have refused (certificate-*, starttls-not-supported, validation-failure) allowed in testing.</summary>
    public long MaxEnforceBlockingFailures { get; set; }

    /// <summary>Share of failed sessions (any result type) under the current policy above which a warning is given.</summary>
    public double MaxFailureRate { get; set; } = 0.01;

    /// <summary>Policy fetch failures (sts-*) allowed in the observation period.</summary>
    public long MaxPolicyFetchFailures { get; set; }

    /// <summary>In enforce: the recent days watched for a rise in failures.</summary>
    public int RecentDays { get; set; } = 3;

    /// <summary>In enforce: the share of refused sessions over the recent days that calls for a roll-back.</summary>
    public double RollBackFailureRate { get; set; } = 0.01;

    /// <summary>Count only verified reports (DKIM pass, or imported by an admin): evidence that cannot be forged by mailing the rua address.</summary>
    public bool RequireVerifiedReports { get; set; }

    /// <summary>A certificate with fewer days left is a warning (an expired one is blocking).</summary>
    public int MinCertificateDaysLeft { get; set; } = 14;
}

/// <summary>How far the probe of one MX address got.</summary>
public enum ProbeStatus
{
    /// <summary>STARTTLS completed: the certificate was seen and judged.</summary>
    Secured,

    /// <summary>The MX name has no address (or its lookup failed): nothing to connect to.</summary>
    NoAddress,

    /// <summary>No SMTP session: connection refused, no answer in time, or the network is unreachable.</summary>
    Unreachable,

    /// <summary>The server answered but did not offer STARTTLS.</summary>
    StartTlsNotOffered,

    /// <summary>STARTTLS was offered but the TLS handshake failed before a certificate was seen.</summary>
    TlsFailed,
}

/// <summary>What probing one address of one MX host found.</summary>
/// <param name="Host">The MX host name.</param>
/// <param name="Address">The address probed; null when the name has none.</param>
/// <param name="Status">How far the probe got.</param>
/// <param name="CertificateTrusted">The chain validates (when <see cref="ProbeStatus.Secured"/>).</param>
/// <param name="NameMatches">The certificate names the host.</param>
/// <param name="DaysUntilExpiry">Whole days left; negative once expired.</param>
/// <param name="Error">What went wrong, in words.</param>
public sealed record MxProbe(string Host, string? Address, ProbeStatus Status, bool CertificateTrusted, bool NameMatches, int? DaysUntilExpiry, string? Error)
{
    /// <summary>A TLS session was had with this address.</summary>
    public bool StartTls => Status == ProbeStatus.Secured;

    /// <summary>"host" or "host [address]", for messages.</summary>
    public string Where => Address is null ? Host : $"{Host} [{Address}]";
}

/// <summary>What a live check of the domain found (DNS, policy fetch, MX probes).</summary>
/// <param name="Record">The <c>_mta-sts</c> record, when there is exactly one valid one.</param>
/// <param name="RecordError">Why there is none (including a failed DNS lookup).</param>
/// <param name="Policy">The policy fetched, when it could be fetched and read.</param>
/// <param name="PolicyError">Why not.</param>
/// <param name="MxHosts">The MX host names in DNS, by preference.</param>
/// <param name="Probes">One probe per address of each MX host.</param>
/// <param name="PolicyCertificateDaysLeft">Whole days until the policy host's certificate expires, when it was seen.</param>
public sealed record LiveFindings(
    StsRecord? Record,
    string? RecordError,
    StsPolicy? Policy,
    string? PolicyError,
    IReadOnlyList<string> MxHosts,
    IReadOnlyList<MxProbe> Probes,
    int? PolicyCertificateDaysLeft = null);

/// <summary>What one reporter said about the domain for one UTC day under one policy.</summary>
/// <param name="Day">The UTC day the reports cover.</param>
/// <param name="Organization">The reporter.</param>
/// <param name="PolicyType"><c>sts</c>, <c>tlsa</c> or <c>no-policy-found</c>.</param>
/// <param name="PolicyStrings">The policy lines the reporter applied.</param>
/// <param name="Successes">Successful sessions.</param>
/// <param name="Failures">Failed sessions.</param>
/// <param name="FailuresByResultType">Failed sessions per RFC 8460 result type.</param>
/// <param name="FailuresByMxHost">Failed sessions per receiving MX host.</param>
/// <param name="Verified">
/// The reports behind it are authenticated: their mail passed DKIM, or an admin imported them.
/// Anyone who can mail the rua address can send unverified ones.
/// </param>
public sealed record ReportDay(
    DateOnly Day,
    string Organization,
    string PolicyType,
    IReadOnlyList<string> PolicyStrings,
    long Successes,
    long Failures,
    IReadOnlyDictionary<string, long> FailuresByResultType,
    IReadOnlyDictionary<string, long> FailuresByMxHost,
    bool Verified = true);

/// <summary>A verdict with every reason and, where a switch is advised, the policy to publish.</summary>
/// <param name="Verdict">The verdict.</param>
/// <param name="Mode">The mode of the live policy the verdict is about.</param>
/// <param name="Reasons">Every reason, blocking first.</param>
/// <param name="NextPolicyText">The policy to publish next (mode changed), when the verdict is READY or ROLL_BACK.</param>
/// <param name="NextId">A new <c>id</c> for the <c>_mta-sts</c> record to go with it.</param>
public sealed record ReadinessResult(Verdict Verdict, StsPolicyMode? Mode, IReadOnlyList<Reason> Reasons, string? NextPolicyText, string? NextId);
