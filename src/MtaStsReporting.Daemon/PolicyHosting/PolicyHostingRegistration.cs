using Microsoft.Extensions.Options;
using MtaStsReporting.Daemon.Hosting;

namespace MtaStsReporting.Daemon.PolicyHosting;

/// <summary>
/// Policy hosting: its settings (<c>PolicyHosting</c>), their check, the policies served, their
/// certificates, the <c>_mta-sts</c> record updates and the changes made through the API.
/// </summary>
public static class PolicyHostingRegistration
{
    /// <summary>Registers all of it (the listener itself is set up with the others in <see cref="Listeners"/>).</summary>
    public static IServiceCollection AddPolicyHosting(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<PolicyHostingOptions>(configuration, PolicyHostingOptions.Section);
        services.AddSingleton<IValidateOptions<PolicyHostingOptions>, PolicyHostingOptionsValidator>();
        services.AddSingleton<ServedPolicies>();
        services.AddHostedService(sp => sp.GetRequiredService<ServedPolicies>());
        services.AddSingleton(sp => PolicyCertificates.Load(
            sp.GetRequiredService<IOptions<PolicyHostingOptions>>().Value, sp.GetRequiredService<ILoggerFactory>().CreateLogger("MtaStsReporting.PolicyHosting")));
        services.AddSingleton<StsRecordUpdater>();
        services.AddSingleton<PolicyChanger>();
        return services;
    }
}

/// <summary>Checks <see cref="PolicyHostingOptions"/> at start: every mistake named with its setting.</summary>
public sealed class PolicyHostingOptionsValidator : IValidateOptions<PolicyHostingOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, PolicyHostingOptions options)
    {
        var problems = new List<string>();
        if (options.Enabled)
        {
            if (!Uri.TryCreate(options.Url, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttps)
            {
                problems.Add($"PolicyHosting:Url: '{options.Url}' must be an https:// URL (senders fetch policies over HTTPS only, RFC 8461 §3.3).");
            }

            if (options.Certificates.Count == 0)
            {
                problems.Add("PolicyHosting:Certificates: at least one certificate (CertificateFile and KeyFile) is needed to serve https://.");
            }

            if (options.RefreshInterval < TimeSpan.FromSeconds(1))
            {
                problems.Add($"PolicyHosting:RefreshInterval must be at least 1 second (got {options.RefreshInterval}).");
            }
        }
        else if (options.Domains.Count > 0 || options.Certificates.Count > 0 || options.DnsUpdate.Enabled)
        {
            problems.Add("PolicyHosting:Url is needed to serve the PolicyHosting:Domains.");
        }

        if (options.DnsUpdate.Enabled)
        {
            ValidateDnsUpdate(options.DnsUpdate, problems);
        }

        for (var i = 0; i < options.Certificates.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(options.Certificates[i].CertificateFile) || string.IsNullOrWhiteSpace(options.Certificates[i].KeyFile))
            {
                problems.Add($"PolicyHosting:Certificates:{i}: CertificateFile and KeyFile are both required.");
            }
        }

        HostedPolicies.Read(options.Domains, out var policyProblems);
        problems.AddRange(policyProblems);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static void ValidateDnsUpdate(DnsUpdateOptions options, List<string> problems)
    {
        if (StsRecordUpdater.ParseServer(options.Server!) is null)
        {
            problems.Add($"PolicyHosting:DnsUpdate:Server: '{options.Server}' is not an IP address with an optional port (192.0.2.53, 192.0.2.53:5353, [2001:db8::53]:53).");
        }

        // RFC 2136 updates are sent signed (RFC 8945): an unsigned update is refused by any server worth trusting.
        if (string.IsNullOrWhiteSpace(options.KeyFile))
        {
            problems.Add("PolicyHosting:DnsUpdate:KeyFile is needed: updates are signed with a TSIG key.");
        }
        else if (TsigKey.Read(options, out var keyProblem) is null)
        {
            problems.Add(keyProblem!);
        }

        if (options.Zone is { Length: > 0 } zone && !MtaStsReporting.Domain.Names.DomainName.TryParse(zone, out _, out var zoneError))
        {
            problems.Add($"PolicyHosting:DnsUpdate:Zone: '{zone}' is not a domain name: {zoneError}");
        }

        if (options.Ttl is < 0 or > 86_400)
        {
            problems.Add($"PolicyHosting:DnsUpdate:Ttl must be between 0 and 86400 seconds (got {options.Ttl}).");
        }

        if (options.Timeout <= TimeSpan.Zero)
        {
            problems.Add("PolicyHosting:DnsUpdate:Timeout must be positive.");
        }
    }
}
