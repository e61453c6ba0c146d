using Microsoft.Extensions.Options;

namespace MtaStsReporting.Daemon.Hosting;

/// <summary>DNS used by the daemon (DKIM keys; later MTA-STS and TLS-RPT records). Section <c>Dns</c>.</summary>
public sealed class DnsOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Dns";

    /// <summary>Servers as <c>address</c> or <c>address:port</c>; empty for the system's resolvers.</summary>
    public List<string> Servers { get; set; } = [];

    /// <summary>Time to wait for an answer.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Checks <see cref="DnsOptions"/> at start.</summary>
internal sealed class DnsOptionsValidator : IValidateOptions<DnsOptions>
{
    public ValidateOptionsResult Validate(string? name, DnsOptions options)
    {
        var errors = new List<string>();
        for (var i = 0; i < options.Servers.Count; i++)
        {
            try
            {
                ParseEndpoint(options.Servers[i]);
            }
            catch (FormatException)
            {
                errors.Add($"Dns:Servers:{i} must be an IP address with an optional port (got '{options.Servers[i]}').");
            }
        }

        if (options.Timeout <= TimeSpan.Zero || options.Timeout > TimeSpan.FromMinutes(1))
        {
            errors.Add($"Dns:Timeout must be between 00:00:00 and 00:01:00 (got {options.Timeout}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>"192.0.2.53", "192.0.2.53:5353", "[2001:db8::53]:5353".</summary>
    public static System.Net.IPEndPoint ParseEndpoint(string text)
    {
        if (System.Net.IPAddress.TryParse(text, out var address))
        {
            return new System.Net.IPEndPoint(address, 53);
        }

        return System.Net.IPEndPoint.TryParse(text, out var endpoint) ? endpoint : throw new FormatException(text);
    }
}
