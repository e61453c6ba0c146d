using System.Text.RegularExpressions;

namespace MtaStsReporting.Daemon.PolicyHosting;

/// <summary>
/// A TSIG key (RFC 8945): its name, algorithm and secret, read from a file that holds either a
/// BIND key statement, as <c>tsig-keygen</c> and <c>ddns-confgen</c> write it, or the base64
/// secret alone (then the name comes from the settings).
/// </summary>
/// <param name="Name">The key's name, as the server knows it.</param>
/// <param name="Algorithm">The algorithm's name, <c>hmac-sha256</c> and the like.</param>
/// <param name="Secret">The shared secret.</param>
public sealed partial record TsigKey(string Name, string Algorithm, byte[] Secret)
{
    /// <summary>The algorithms a key may name (RFC 8945 §6), by the names BIND uses.</summary>
    public static readonly IReadOnlyList<string> Algorithms = ["hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha224", "hmac-sha1", "hmac-md5"];

    /// <summary>Reads the key; the problem, naming the setting, when it cannot be used.</summary>
    public static TsigKey? Read(DnsUpdateOptions options, out string? problem)
    {
        problem = null;
        string text;
        try
        {
            text = File.ReadAllText(options.KeyFile ?? string.Empty);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            problem = $"PolicyHosting:DnsUpdate:KeyFile '{options.KeyFile}' cannot be read: {ex.Message}";
            return null;
        }

        var statement = KeyStatement().Match(text);
        var name = options.KeyName is { Length: > 0 } n ? n : statement.Success ? statement.Groups["name"].Value : null;
        var algorithm = (options.Algorithm is { Length: > 0 } a ? a
            : statement.Success && AlgorithmClause().Match(statement.Value) is { Success: true } m ? m.Groups[1].Value : "hmac-sha256").ToLowerInvariant();
        var secretText = statement.Success ? SecretClause().Match(statement.Value) is { Success: true } s ? s.Groups[1].Value : string.Empty : text.Trim();
        if (name is null)
        {
            problem = "PolicyHosting:DnsUpdate:KeyName is needed: the key file holds the secret alone.";
            return null;
        }

        if (!Algorithms.Contains(algorithm))
        {
            problem = $"PolicyHosting:DnsUpdate:Algorithm '{algorithm}' is not one of {string.Join(", ", Algorithms)}.";
            return null;
        }

        byte[] secret;
        try
        {
            secret = Convert.FromBase64String(secretText);
        }
        catch (FormatException)
        {
            secret = [];
        }

        if (secret.Length == 0)
        {
            problem = $"PolicyHosting:DnsUpdate:KeyFile '{options.KeyFile}' holds no base64 secret.";
            return null;
        }

        return new TsigKey(name.TrimEnd('.'), algorithm, secret);
    }

    [GeneratedRegex("""key\s+"?(?<name>[^"\s{]+)"?\s*\{[^}]*\}""", RegexOptions.Singleline)]
    private static partial Regex KeyStatement();

    [GeneratedRegex("""algorithm\s+"?([A-Za-z0-9-]+)"?\s*;""")]
    private static partial Regex AlgorithmClause();

    [GeneratedRegex("""secret\s+"([^"]+)"\s*;""")]
    private static partial Regex SecretClause();
}
