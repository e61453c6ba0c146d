namespace MtaStsReporting.Daemon.PolicyHosting;

/// <summary>
/// Hosting the MTA-STS policies of the organisation's own domains (RFC 8461 §3.2, §3.3): the
/// listener <c>https://mta-sts.&lt;domain&gt;/.well-known/mta-sts.txt</c> is served on, the
/// certificates it chooses from by SNI, and each domain's policy. Section <c>PolicyHosting</c>.
/// </summary>
public sealed class PolicyHostingOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "PolicyHosting";

    /// <summary>Where to listen, <c>https://</c> only (senders fetch over HTTPS on port 443); empty: off.</summary>
    public string? Url { get; set; }

    /// <summary>PEM certificate and key pairs; each serves the host names it holds (exact or wildcard), read again when the files change.</summary>
    public List<HostedCertificate> Certificates { get; set; } = [];

    /// <summary>The domains whose policy is served, at <c>mta-sts.</c> followed by the name.</summary>
    public List<HostedDomain> Domains { get; set; } = [];

    /// <summary>True when a listener is asked for.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Url);
}

/// <summary>A certificate and its key, PEM files (certbot's <c>fullchain.pem</c> and <c>privkey.pem</c>).</summary>
public sealed class HostedCertificate
{
    /// <summary>The certificate, then its chain.</summary>
    public string CertificateFile { get; set; } = "";

    /// <summary>The private key.</summary>
    public string KeyFile { get; set; } = "";
}

/// <summary>One domain's policy, as its lines are written in the file.</summary>
public sealed class HostedDomain
{
    /// <summary>The policy domain (<c>example.com</c>; the host is <c>mta-sts.example.com</c>).</summary>
    public string Name { get; set; } = "";

    /// <summary><c>enforce</c>, <c>testing</c> or <c>none</c>.</summary>
    public string Mode { get; set; } = "testing";

    /// <summary>The <c>mx</c> patterns (<c>mx1.example.com</c>, <c>*.mail.example.com</c>); required unless the mode is none.</summary>
    public List<string> Mx { get; set; } = [];

    /// <summary>Seconds senders may cache the policy (RFC 8461 §3.2: at most 31557600); a week by default.</summary>
    public long MaxAge { get; set; } = 604_800;
}
