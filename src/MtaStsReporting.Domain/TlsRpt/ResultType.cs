namespace MtaStsReporting.Domain.TlsRpt;

/// <summary>
/// An RFC 8460 <c>result-type</c> (§4.3). A value, not an enum: reports from the field carry
/// types the RFC does not list, and those are kept as sent rather than dropped.
/// </summary>
public readonly record struct ResultType
{
    /// <summary>§4.3.1: the receiving MX did not offer STARTTLS.</summary>
    public static readonly ResultType StartTlsNotSupported = new("starttls-not-supported");

    /// <summary>§4.3.1: the certificate names no identity that matches the MX host.</summary>
    public static readonly ResultType CertificateHostMismatch = new("certificate-host-mismatch");

    /// <summary>§4.3.1: the certificate has expired.</summary>
    public static readonly ResultType CertificateExpired = new("certificate-expired");

    /// <summary>§4.3.1: the certificate chain does not lead to a trusted root.</summary>
    public static readonly ResultType CertificateNotTrusted = new("certificate-not-trusted");

    /// <summary>§4.3.1: any other validation failure.</summary>
    public static readonly ResultType ValidationFailure = new("validation-failure");

    /// <summary>§4.3.2: the TLSA records were invalid.</summary>
    public static readonly ResultType TlsaInvalid = new("tlsa-invalid");

    /// <summary>§4.3.2: DNSSEC validation failed.</summary>
    public static readonly ResultType DnssecInvalid = new("dnssec-invalid");

    /// <summary>§4.3.2: DANE was required but not usable.</summary>
    public static readonly ResultType DaneRequired = new("dane-required");

    /// <summary>§4.3.3: the policy could not be fetched.</summary>
    public static readonly ResultType StsPolicyFetchError = new("sts-policy-fetch-error");

    /// <summary>§4.3.3: the fetched policy did not parse.</summary>
    public static readonly ResultType StsPolicyInvalid = new("sts-policy-invalid");

    /// <summary>§4.3.3: the policy host's certificate failed WebPKI validation.</summary>
    public static readonly ResultType StsWebPkiInvalid = new("sts-webpki-invalid");

    /// <summary>Every type RFC 8460 defines.</summary>
    public static readonly IReadOnlyList<ResultType> Known =
    [
        StartTlsNotSupported, CertificateHostMismatch, CertificateExpired, CertificateNotTrusted, ValidationFailure,
        TlsaInvalid, DnssecInvalid, DaneRequired, StsPolicyFetchError, StsPolicyInvalid, StsWebPkiInvalid,
    ];

    /// <summary>The result types that describe a failed MTA-STS policy fetch (§4.3.3).</summary>
    public static readonly IReadOnlyList<ResultType> PolicyFetchFailures = [StsPolicyFetchError, StsPolicyInvalid, StsWebPkiInvalid];

    /// <summary>Wraps a name as sent; see <see cref="IsKnown"/>.</summary>
    public ResultType(string name) => Name = name ?? throw new ArgumentNullException(nameof(name));

    /// <summary>The name as RFC 8460 spells it (or as a reporter sent it).</summary>
    public string Name { get; }

    /// <summary>True for a type RFC 8460 defines.</summary>
    public bool IsKnown => Known.Contains(this);

    /// <inheritdoc />
    public override string ToString() => Name;
}
