using System.Text.Json;

namespace MtaStsReporting.Daemon.Ingestion.OAuth2;

/// <summary>Checks an <see cref="OAuth2Options"/> at start: every mistake named with its setting.</summary>
public static class OAuth2OptionsValidator
{
    /// <summary>Adds the problems of <paramref name="options"/>, each prefixed with <paramref name="at"/>, to <paramref name="errors"/>.</summary>
    public static void Validate(OAuth2Options options, string at, List<string> errors)
    {
        if (options.Provider == OAuth2Provider.Microsoft)
        {
            if (string.IsNullOrWhiteSpace(options.TenantId) || string.IsNullOrWhiteSpace(options.ClientId))
            {
                errors.Add($"{at}: TenantId and ClientId (of the app registration) are required.");
            }

            if (options.ClientSecretFile is null == options.CertificateFile is null)
            {
                errors.Add($"{at}: set exactly one of ClientSecretFile and CertificateFile (with CertificateKeyFile).");
            }
            else if (options.ClientSecretFile is { } secret && !File.Exists(secret))
            {
                errors.Add($"{at}:ClientSecretFile '{secret}' does not exist.");
            }
            else if (options.CertificateFile is { } certificate && (!File.Exists(certificate) || options.CertificateKeyFile is not { } key || !File.Exists(key)))
            {
                errors.Add($"{at}: CertificateFile '{certificate}' and CertificateKeyFile '{options.CertificateKeyFile}' must both exist.");
            }

            if (!Uri.TryCreate(options.Authority, UriKind.Absolute, out var authority) || authority.Scheme != Uri.UriSchemeHttps)
            {
                errors.Add($"{at}:Authority '{options.Authority}' must be an https:// URL (the identity platform's, e.g. https://login.microsoftonline.com/).");
            }
        }
        else if (options.ServiceAccountKeyFile is not { } keyFile || !File.Exists(keyFile))
        {
            errors.Add($"{at}:ServiceAccountKeyFile '{options.ServiceAccountKeyFile}' does not exist (the service account's JSON key).");
        }
        else if (KeyFileProblem(keyFile) is { } problem)
        {
            errors.Add($"{at}:ServiceAccountKeyFile '{keyFile}' {problem}.");
        }

        if (options.TokenEndpoint is { } endpoint && (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add($"{at}:TokenEndpoint '{endpoint}' must be an https:// URL.");
        }

        if (options.TrustedCaFile is { } ca && !File.Exists(ca))
        {
            errors.Add($"{at}:TrustedCaFile '{ca}' does not exist.");
        }
    }

    private static string? KeyFileProblem(string path)
    {
        try
        {
            using var key = JsonDocument.Parse(File.ReadAllText(path));
            return key.RootElement.TryGetProperty("client_email", out var email) && email.ValueKind == JsonValueKind.String
                && key.RootElement.TryGetProperty("private_key", out var pem) && pem.ValueKind == JsonValueKind.String
                ? null
                : "lacks client_email or private_key: download a JSON key of the service account";
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            return "cannot be read as a JSON key: " + ex.Message;
        }
    }
}
