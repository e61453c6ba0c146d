using Microsoft.Extensions.Options;

namespace MtaStsReporting.Daemon.Hosting;

/// <summary>The checks every options validator makes, with messages that name the setting.</summary>
internal static class SettingChecks
{
    public static void Range(List<string> errors, string setting, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            errors.Add($"{setting} must be between {min} and {max} (got {value}).");
        }
    }

    public static void Fraction(List<string> errors, string setting, double value)
    {
        if (value is < 0 or > 1 || double.IsNaN(value))
        {
            errors.Add($"{setting} must be between 0 and 1 (got {value}).");
        }
    }

    public static ValidateOptionsResult Result(List<string> errors) =>
        errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
}
