using Microsoft.Extensions.Options;
using MtaStsReporting.Daemon.Hosting;

namespace MtaStsReporting.Daemon.Readiness;

/// <summary>Checks the readiness thresholds at start.</summary>
internal sealed class ReadinessRulesValidator : IValidateOptions<MtaStsReporting.Domain.Readiness.ReadinessRules>
{
    public ValidateOptionsResult Validate(string? name, MtaStsReporting.Domain.Readiness.ReadinessRules options)
    {
        var errors = new List<string>();
        SettingChecks.Range(errors, "Readiness:ObservationDays", options.ObservationDays, 1, 365);
        SettingChecks.Range(errors, "Readiness:RecentDays", options.RecentDays, 1, 90);
        SettingChecks.Range(errors, "Readiness:MinReporters", options.MinReporters, 0, 1_000);
        SettingChecks.Range(errors, "Readiness:MinReporterDays", options.MinReporterDays, 1, 365);
        SettingChecks.Range(errors, "Readiness:MaxGapDays", options.MaxGapDays, 0, 365);
        SettingChecks.Range(errors, "Readiness:MinSessions", options.MinSessions, 0, long.MaxValue);
        SettingChecks.Range(errors, "Readiness:MaxEnforceBlockingFailures", options.MaxEnforceBlockingFailures, 0, long.MaxValue);
        SettingChecks.Range(errors, "Readiness:MaxPolicyFetchFailures", options.MaxPolicyFetchFailures, 0, long.MaxValue);
        SettingChecks.Range(errors, "Readiness:MinCertificateDaysLeft", options.MinCertificateDaysLeft, 0, 3650);
        SettingChecks.Fraction(errors, "Readiness:RollBackFailureRate", options.RollBackFailureRate);
        SettingChecks.Fraction(errors, "Readiness:MaxFailureRate", options.MaxFailureRate);
        return SettingChecks.Result(errors);
    }
}
