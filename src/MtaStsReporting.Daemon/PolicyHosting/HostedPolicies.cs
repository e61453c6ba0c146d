using MtaStsReporting.Domain.MtaSts;
using MtaStsReporting.Domain.Names;

namespace MtaStsReporting.Daemon.PolicyHosting;

/// <summary>
/// A set of policy files, by host name (<c>mta-sts.example.com</c>): the versions served now
/// (<see cref="From"/>, held by <see cref="ServedPolicies"/>), or the first versions the settings
/// give (<see cref="Read"/>). Each domain's lines are read with the same parser as a policy
/// fetched from elsewhere (<see cref="StsPolicy.Parse"/>), so that what is served is a policy
/// senders accept, written as <see cref="StsPolicy.ToText"/>.
/// </summary>
public sealed class HostedPolicies
{
    private readonly Dictionary<string, (string Domain, StsPolicy Policy, string Text)> _byHost;

    private HostedPolicies(Dictionary<string, (string, StsPolicy, string)> byHost) => _byHost = byHost;

    /// <summary>None.</summary>
    public static readonly HostedPolicies Empty = new([]);

    /// <summary>The host names served, in order.</summary>
    public IReadOnlyList<string> Hosts => [.. _byHost.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Each domain and its policy, by domain name.</summary>
    public IReadOnlyList<(string Domain, StsPolicy Policy)> Policies =>
        [.. _byHost.Values.OrderBy(v => v.Domain, StringComparer.Ordinal).Select(v => (v.Domain, v.Policy))];

    /// <summary>The versions served, as the store holds them (a version whose text no longer parses is left out, and named in <paramref name="unreadable"/>).</summary>
    public static HostedPolicies From(IEnumerable<MtaStsReporting.Persistence.Policies.PolicyVersion> versions, out List<string> unreadable)
    {
        unreadable = [];
        var byHost = new Dictionary<string, (string, StsPolicy, string)>(StringComparer.Ordinal);
        foreach (var v in versions)
        {
            var parsed = StsPolicy.Parse(v.PolicyText);
            if (parsed.IsValid)
            {
                byHost["mta-sts." + v.Domain] = (v.Domain, parsed.Policy, v.PolicyText);
            }
            else
            {
                unreadable.Add($"{v.Domain} version {v.Version}: {parsed.Error}");
            }
        }

        return new HostedPolicies(byHost);
    }

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
