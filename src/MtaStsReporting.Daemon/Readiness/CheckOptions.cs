using Microsoft.Extensions.Options;
using MtaStsReporting.Daemon.Hosting;

namespace MtaStsReporting.Daemon.Readiness;

/// <summary>The live check of a domain (DNS, policy fetch, MX probes). Section <c>Check</c>.</summary>
public sealed class CheckOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Check";

    /// <summary>Port of the policy host (RFC 8461 §3.3: HTTPS, 443); changed only for tests.</summary>
    public int PolicyPort { get; set; } = 443;

    /// <summary>Port of the MX hosts' SMTP service (25); changed only for tests.</summary>
    public int SmtpPort { get; set; } = 25;

    /// <summary>Time allowed for the policy fetch (RFC 8461 §3.3 suggests about a minute).</summary>
    public TimeSpan PolicyTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Time allowed for each MX probe.</summary>
    public TimeSpan SmtpTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>PEM files of CA certificates trusted besides the system's (a private PKI, tests).</summary>
    public List<string> TrustedCaFiles { get; set; } = [];

    /// <summary>Time allowed for the whole check (DNS, policy, every probe); what is left unchecked then is said.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>Most addresses probed per MX host (senders try them all).</summary>
    public int MaxMxAddresses { get; set; } = 4;
}

/// <summary>Checks <see cref="CheckOptions"/> at start.</summary>
internal sealed class CheckOptionsValidator : IValidateOptions<CheckOptions>
{
    public ValidateOptionsResult Validate(string? name, CheckOptions options)
    {
        var errors = new List<string>();
        if (options.PolicyPort is < 1 or > 65535)
        {
            errors.Add($"Check:PolicyPort must be between 1 and 65535 (got {options.PolicyPort}).");
        }

        if (options.SmtpPort is < 1 or > 65535)
        {
            errors.Add($"Check:SmtpPort must be between 1 and 65535 (got {options.SmtpPort}).");
        }

        if (options.PolicyTimeout <= TimeSpan.Zero || options.SmtpTimeout <= TimeSpan.Zero || options.Timeout <= TimeSpan.Zero)
        {
            errors.Add("Check:PolicyTimeout, Check:SmtpTimeout and Check:Timeout must be positive.");
        }

        if (options.MaxMxAddresses is < 1 or > 64)
        {
            errors.Add($"Check:MaxMxAddresses must be between 1 and 64 (got {options.MaxMxAddresses}).");
        }

        for (var i = 0; i < options.TrustedCaFiles.Count; i++)
        {
            if (!File.Exists(options.TrustedCaFiles[i]))
            {
                errors.Add($"Check:TrustedCaFiles:{i} '{options.TrustedCaFiles[i]}' does not exist.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
