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
        // Domains may come through the API alone (policy set).
        Assert.Empty(Problems(Options()));
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

    public static TheoryData<string, string?, string?, string?, int, string> DnsUpdateCases => new()
    {
        // server, key file contents (null: no file), key name, zone, ttl, the problem ("" for none)
        { "127.0.0.1", "key \"mtasts\" {\n\talgorithm hmac-sha256;\n\tsecret \"c2VjcmV0c2VjcmV0c2VjcmV0\";\n};\n", null, null, 300, "" },
        { "127.0.0.1:5353", "c2VjcmV0c2VjcmV0c2VjcmV0\n", "mtasts", "example.com", 0, "" },
        { "[2001:db8::53]:53", "c2VjcmV0c2VjcmV0c2VjcmV0", "mtasts", null, 86400, "" },
        { "127.0.0.1", "c2VjcmV0c2VjcmV0c2VjcmV0", "mtasts", null, 86401, "PolicyHosting:DnsUpdate:Ttl must be between 0 and 86400 seconds (got 86401)." },
        { "127.0.0.1", "c2VjcmV0c2VjcmV0c2VjcmV0", "mtasts", null, -1, "PolicyHosting:DnsUpdate:Ttl must be between 0 and 86400 seconds (got -1)." },
        { "ns1.example.com", "c2VjcmV0c2VjcmV0c2VjcmV0", "mtasts", null, 300, "PolicyHosting:DnsUpdate:Server: 'ns1.example.com' is not an IP address with an optional port (192.0.2.53, 192.0.2.53:5353, [2001:db8::53]:53)." },
        { "127.0.0.1", null, "mtasts", null, 300, "PolicyHosting:DnsUpdate:KeyFile is needed: updates are signed with a TSIG key." },
        { "127.0.0.1", "c2VjcmV0c2VjcmV0c2VjcmV0", null, null, 300, "PolicyHosting:DnsUpdate:KeyName is needed: the key file holds the secret alone." },
        { "127.0.0.1", "key \"mtasts\" { algorithm hmac-sha999; secret \"c2VjcmV0\"; };", null, null, 300, "PolicyHosting:DnsUpdate:Algorithm 'hmac-sha999' is not one of hmac-sha256, hmac-sha384, hmac-sha512, hmac-sha224, hmac-sha1, hmac-md5." },
        { "127.0.0.1", "not base64!", "mtasts", null, 300, "holds no base64 secret." },
        { "127.0.0.1", "c2VjcmV0c2VjcmV0c2VjcmV0", "mtasts", "localhost", 300, "PolicyHosting:DnsUpdate:Zone: 'localhost' is not a domain name" },
    };

    [Theory]
    [MemberData(nameof(DnsUpdateCases))]
    public void Dns_update_settings_are_checked_with_their_key(string server, string? key, string? keyName, string? zone, int ttl, string problem)
    {
        var file = Path.Combine(Path.GetTempPath(), "tsig-" + Guid.NewGuid().ToString("N"));
        try
        {
            if (key is not null)
            {
                File.WriteAllText(file, key);
            }

            var options = Options();
            options.DnsUpdate = new DnsUpdateOptions { Server = server, KeyFile = key is null ? null : file, KeyName = keyName, Zone = zone, Ttl = ttl };

            var problems = Problems(options).ToList();
            if (problem.Length == 0)
            {
                Assert.Empty(problems);
            }
            else
            {
                Assert.Contains(problem, Assert.Single(problems), StringComparison.Ordinal);
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_key_written_by_tsig_keygen_gives_its_name_algorithm_and_secret_and_the_settings_win()
    {
        var file = Path.Combine(Path.GetTempPath(), "tsig-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(file, "key \"mtasts-key\" {\n\talgorithm hmac-sha512;\n\tsecret \"AAECAw==\";\n};\n");
        try
        {
            var read = TsigKey.Read(new DnsUpdateOptions { KeyFile = file }, out var problem);
            var named = TsigKey.Read(new DnsUpdateOptions { KeyFile = file, KeyName = "other.", Algorithm = "HMAC-SHA256" }, out _);

            Assert.Null(problem);
            Assert.Equal(("mtasts-key", "hmac-sha512", "AAECAw=="), (read!.Name, read.Algorithm, Convert.ToBase64String(read.Secret)));
            Assert.Equal(("other", "hmac-sha256"), (named!.Name, named.Algorithm));
            Assert.Null(TsigKey.Read(new DnsUpdateOptions { KeyFile = file + ".missing" }, out var missing));
            Assert.StartsWith($"PolicyHosting:DnsUpdate:KeyFile '{file}.missing' cannot be read:", missing, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Dns_updates_without_a_policy_listener_are_named()
    {
        var options = new PolicyHostingOptions { DnsUpdate = new DnsUpdateOptions { Server = "127.0.0.1" } };

        Assert.Contains("PolicyHosting:Url is needed to serve the PolicyHosting:Domains.", Problems(options));
    }
}
