using Microsoft.Extensions.Configuration.Json;

namespace MtaStsReporting.Daemon.Hosting;

/// <summary>
/// A settings file outside the program's folder, named by MTASTS_REPORTING_SETTINGS: under
/// systemd, <c>/etc/mtasts-reporting/appsettings.json</c> while the program sits read-only in
/// <c>/opt</c>. It is read after the appsettings files beside the executable and before the
/// environment and the command line, which still win.
/// </summary>
public static class SettingsFile
{
    /// <summary>The environment variable that names the file.</summary>
    public const string Variable = "MTASTS_REPORTING_SETTINGS";

    /// <summary>Adds the file when the variable is set; a missing or malformed file is a settings error naming it.</summary>
    public static void Add(IConfigurationManager configuration)
    {
        var path = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(path))
        {
            return;
        }

        path = Path.GetFullPath(path);
        if (!File.Exists(path))
        {
            throw new OptionsValidationFailure($"{Variable}={path}: the settings file does not exist");
        }

        var source = new JsonConfigurationSource { Path = path, Optional = false, ReloadOnChange = false };
        source.ResolveFileProvider();
        var sources = configuration.Sources;
        var afterJson = sources.Select((s, i) => (s, i)).LastOrDefault(x => x.s is JsonConfigurationSource).i + 1;
        try
        {
            sources.Insert(afterJson, source);
        }
        catch (InvalidDataException ex)
        {
            throw new OptionsValidationFailure($"{Variable}={path}: the file is not valid JSON: {ExceptionText.Innermost(ex)}");
        }
    }
}
