using MtaStsReporting.Daemon.PolicyHosting;

namespace MtaStsReporting.Daemon.Tests.PolicyHosting;

/// <summary>The hosting settings: what is served, and every mistake named with its setting.</summary>
public sealed class PolicyHostingOptionsValidatorTests
{
    private static PolicyHostingOptions Options(params HostedDomain[] domains) => new()
    {
        Url = "https://0.0.0.0:443",
        Certificates = [new HostedCertificate { CertificateFile = "/etc/c.pem", KeyFile = "/etc/k.pem" }],
        Domains = [.. domains],
    };

    private static HostedDomain Domain(string name = "example.com", string mode = "enforce", long maxAge = 86400, params string[] mx) =>
        new() { Name = name, Mode = mode, MaxAge = maxAge, Mx = mx.Length == 0 ? ["mx1.example.com"] : [.. mx] };

    private static IEnumerable<string> Problems(PolicyHostingOptions options) => new PolicyHostingOptionsValidator().Validate(null, options).Failures ?? [];

    [Fact]
    public void A_good_domain_is_served_at_its_mta_sts_host_as_the_rfc_writes_a_policy()
    {
        var policies = HostedPolicies.Read([Domain("Example.COM.", mx: ["mx1.example.com", "*.backup.example.com"]), Domain("b.example", "none", 0, "unused.b.example")], out var problems);

        Assert.Empty(problems);
        Assert.Equal(["mta-sts.b.example", "mta-sts.example.com"], policies.Hosts);
        Assert.Equal("version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.backup.example.com\r\nmax_age: 86400\r\n", policies.Find("MTA-STS.example.com."));
        Assert.Null(policies.Find("example.com"));
        Assert.Null(policies.Find(""));
        Assert.Null(policies.Find(null));
        Assert.Empty(Problems(Options(Domain())));
    }

    [Theory]
    [InlineData("example.com", "Enforce", 86400, "mx1.example.com", "PolicyHosting:Domains:0 (example.com): the policy is not valid: line 2: mode 'Enforce' is not enforce, testing or none")]
    [InlineData("example.com", "enforce", 31557601, "mx1.example.com", "PolicyHosting:Domains:0 (example.com): the policy is not valid:")]
    [InlineData("example.com", "enforce", -1, "mx1.example.com", "PolicyHosting:Domains:0 (example.com): the policy is not valid:")]
    [InlineData("example.com", "enforce", 86400, "not a host", "PolicyHosting:Domains:0 (example.com): the policy is not valid: line 3: mx")]
    [InlineData("localhost", "enforce", 86400, "mx1.example.com", "PolicyHosting:Domains:0:Name: 'localhost' is not a domain name")]
    public void A_domain_whose_policy_senders_would_refuse_is_named_with_the_reason(string name, string mode, long maxAge, string mx, string problem)
    {
        Assert.StartsWith(problem, Assert.Single(Problems(Options(Domain(name, mode, maxAge, mx)))), StringComparison.Ordinal);
    }

    [Fact]
    public void Max_age_is_accepted_up_to_one_year_and_mx_is_needed_except_in_mode_none()
    {
        Assert.Empty(Problems(Options(Domain(maxAge: 31_557_600))));
        Assert.Empty(Problems(Options(Domain(maxAge: 0))));
        Assert.Single(Problems(Options(Domain(maxAge: 31_557_601))));
        Assert.Contains("'mx' is required", Assert.Single(Problems(Options(new HostedDomain { Name = "example.com", Mode = "testing" }))), StringComparison.Ordinal);
        Assert.Empty(Problems(Options(new HostedDomain { Name = "example.com", Mode = "none", MaxAge = 86400 })));
    }

    [Fact]
    public void The_listener_certificates_and_domains_go_together()
    {
        Assert.Equal(["PolicyHosting:Domains:1:Name: example.com is listed twice"], Problems(Options(Domain(), Domain("EXAMPLE.com"))));
        Assert.Equal(["PolicyHosting:Url: 'http://0.0.0.0:80' must be an https:// URL (senders fetch policies over HTTPS only, RFC 8461 §3.3)."],
            Problems(new PolicyHostingOptions { Url = "http://0.0.0.0:80", Certificates = Options().Certificates, Domains = [Domain()] }));
        Assert.Equal(["PolicyHosting:Certificates: at least one certificate (CertificateFile and KeyFile) is needed to serve https://."],
            Problems(new PolicyHostingOptions { Url = "https://0.0.0.0:443", Domains = [Domain()] }));
        Assert.Equal(["PolicyHosting:Domains: no domain to serve a policy for."], Problems(Options()));
        Assert.Equal(["PolicyHosting:Certificates:0: CertificateFile and KeyFile are both required."],
            Problems(new PolicyHostingOptions { Url = "https://0.0.0.0:443", Certificates = [new HostedCertificate { CertificateFile = "/c.pem" }], Domains = [Domain()] }));
        Assert.Equal(["PolicyHosting:Url is needed to serve the PolicyHosting:Domains."], Problems(new PolicyHostingOptions { Domains = [Domain()] }));
        Assert.Empty(Problems(new PolicyHostingOptions()));
    }

    [Theory]
    [InlineData("mta-sts.example.com", "mta-sts.example.com", true)]
    [InlineData("MTA-STS.Example.com", "mta-sts.example.com", true)]
    [InlineData("*.example.com", "mta-sts.example.com", true)]
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("*.example.com", "a.mta-sts.example.com", false)]
    [InlineData("*.example.com", "mta-sts.example.org", false)]
    [InlineData("mta-sts.example.com", "mta-sts.example.org", false)]
    public void A_certificate_name_covers_a_host_exactly_or_by_one_wildcard_label(string certificateName, string host, bool covers)
    {
        Assert.Equal(covers, PolicyCertificates.Covers(certificateName, host));
    }
}
