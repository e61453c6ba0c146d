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

    /// <summary>
    /// The domains whose policy is served, at <c>mta-sts.</c> followed by the name: the first
    /// version of each, stored at the first start. From then on the stored policy is served, and
    /// changed through the API (<c>policy set</c>, <c>readiness --apply</c>).
    /// </summary>
    public List<HostedDomain> Domains { get; set; } = [];

    /// <summary>How often each instance reads the versions served again, to pick up a change made through another instance.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Updating the <c>_mta-sts</c> records through RFC 2136; off when no server is set.</summary>
    public DnsUpdateOptions DnsUpdate { get; set; } = new();

    /// <summary>True when a listener is asked for.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Url);
}

/// <summary>
/// RFC 2136 dynamic updates of the <c>_mta-sts</c> TXT records, signed with a TSIG key (RFC 8945),
/// sent to the zone's primary server. Section <c>PolicyHosting:DnsUpdate</c>.
/// </summary>
public sealed class DnsUpdateOptions
{
    /// <summary>The primary server's address, <c>192.0.2.53</c> or <c>192.0.2.53:5353</c> (port 53 by default); empty: updates are off.</summary>
    public string? Server { get; set; }

    /// <summary>
    /// The TSIG key: a file holding either the key as <c>tsig-keygen</c> writes it
    /// (<c>key "name" { algorithm hmac-sha256; secret "…"; };</c>) or the base64 secret alone.
    /// </summary>
    public string? KeyFile { get; set; }

    /// <summary>The key's name; read from <see cref="KeyFile"/> when it says.</summary>
    public string? KeyName { get; set; }

    /// <summary>The key's algorithm (<c>hmac-sha256</c>, <c>hmac-sha512</c>…); read from <see cref="KeyFile"/> when it says, else hmac-sha256.</summary>
    public string? Algorithm { get; set; }

    /// <summary>The zone to update; empty: the zone the server says holds <c>_mta-sts.&lt;domain&gt;</c> (its SOA).</summary>
    public string? Zone { get; set; }

    /// <summary>The TXT record's TTL, in seconds.</summary>
    public int Ttl { get; set; } = 300;

    /// <summary>Time allowed for the update to be answered.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>True when a server is set.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Server);
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
