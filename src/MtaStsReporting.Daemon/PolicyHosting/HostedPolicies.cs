using MtaStsReporting.Domain.MtaSts;
using MtaStsReporting.Domain.Names;

namespace MtaStsReporting.Daemon.PolicyHosting;

/// <summary>
/// The policy files served, by host name (<c>mta-sts.example.com</c>). Each domain's lines are
/// read with the same parser as a policy fetched from elsewhere (<see cref="StsPolicy.Parse"/>),
/// so that what is served is a policy senders accept, written as <see cref="StsPolicy.ToText"/>.
/// </summary>
public sealed class HostedPolicies
{
    private readonly Dictionary<string, (string Domain, StsPolicy Policy, string Text)> _byHost;

    private HostedPolicies(Dictionary<string, (string, StsPolicy, string)> byHost) => _byHost = byHost;

    /// <summary>The host names served, in order.</summary>
    public IReadOnlyList<string> Hosts => [.. _byHost.Keys.Order(StringComparer.Ordinal)];

    /// <summary>
    /// Reads the configured domains; the problems found, each naming the setting, when any
    /// (then nothing is served).
    /// </summary>
    public static HostedPolicies Read(IReadOnlyList<HostedDomain> domains, out List<string> problems)
    {
        problems = [];
        var byHost = new Dictionary<string, (string, StsPolicy, string)>(StringComparer.Ordinal);
        for (var i = 0; i < domains.Count; i++)
        {
            var setting = $"PolicyHosting:Domains:{i}";
            var d = domains[i];
            if (!DomainName.TryParse(d.Name, out var name, out var nameError))
            {
                problems.Add($"{setting}:Name: '{d.Name}' is not a domain name: {nameError}");
                continue;
            }

            var lines = new List<string> { "version: STSv1", "mode: " + d.Mode };
            lines.AddRange(d.Mx.Select(mx => "mx: " + mx));
            lines.Add("max_age: " + d.MaxAge.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var parsed = StsPolicy.Parse(string.Join('\n', lines));
            if (!parsed.IsValid)
            {
                problems.Add($"{setting} ({name.Value}): the policy is not valid: {parsed.Error}");
                continue;
            }

            var host = "mta-sts." + name.Value;
            if (!byHost.TryAdd(host, (name.Value, parsed.Policy!, parsed.Policy!.ToText())))
            {
                problems.Add($"{setting}:Name: {name.Value} is listed twice");
            }
        }

        return new HostedPolicies(byHost);
    }

    /// <summary>The policy file for a host name as a client sent it (any case, a final dot allowed); null when none is served there.</summary>
    public string? Find(string? host)
    {
        if (string.IsNullOrEmpty(host))
        {
            return null;
        }

        var key = host.TrimEnd('.').ToLowerInvariant();
        return _byHost.TryGetValue(key, out var hosted) ? hosted.Text : null;
    }
}
