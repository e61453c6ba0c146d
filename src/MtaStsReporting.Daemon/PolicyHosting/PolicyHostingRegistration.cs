using Microsoft.Extensions.Options;
using MtaStsReporting.Daemon.Hosting;

namespace MtaStsReporting.Daemon.PolicyHosting;

/// <summary>Policy hosting: its settings (<c>PolicyHosting</c>), their check, and the policies served.</summary>
public static class PolicyHostingRegistration
{
    /// <summary>Registers the settings and the hosted policies (the listener itself is set up with the others in <see cref="Listeners"/>).</summary>
    public static IServiceCollection AddPolicyHosting(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<PolicyHostingOptions>(configuration, PolicyHostingOptions.Section);
        services.AddSingleton<IValidateOptions<PolicyHostingOptions>, PolicyHostingOptionsValidator>();
        services.AddSingleton(sp => HostedPolicies.Read(sp.GetRequiredService<IOptions<PolicyHostingOptions>>().Value.Domains, out _));
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

            if (options.Domains.Count == 0)
            {
                problems.Add("PolicyHosting:Domains: no domain to serve a policy for.");
            }
        }
        else if (options.Domains.Count > 0 || options.Certificates.Count > 0)
        {
            problems.Add("PolicyHosting:Url is needed to serve the PolicyHosting:Domains.");
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
}
