using Microsoft.Extensions.Options;
using MtaStsReporting.Daemon.Hosting;
using MtaStsReporting.Daemon.Readiness;
using MtaStsReporting.Daemon.Storage;
using MtaStsReporting.Persistence.Store;

namespace MtaStsReporting.Daemon.Outbound;

/// <summary>The sending side: settings, builder, transports, sender, and the worker that runs them under a lease.</summary>
public static class OutboundRegistration
{
    /// <summary>Registers the outbound reports. After the store and DNS; the admin service is mapped whether or not sending is on.</summary>
    public static IServiceCollection AddOutbound(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<OutboundOptions>(configuration, OutboundOptions.Section);
        services.AddSingleton<IValidateOptions<OutboundOptions>, OutboundOptionsValidator>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<OutboundOptions>>().Value);
        services.AddSingleton(sp => new DailyReportBuilder(sp.GetRequiredService<ReportingStore>(), sp.GetRequiredService<DnsLookup>(),
            sp.GetRequiredService<OutboundOptions>(), sp.GetRequiredService<ILogger<DailyReportBuilder>>()));
        services.AddSingleton(sp => new MailtoTransport(sp.GetRequiredService<OutboundOptions>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new HttpsTransport(sp.GetRequiredService<OutboundOptions>()));
        services.AddSingleton<IReportTransport>(sp => new ReportTransports(sp.GetRequiredService<MailtoTransport>(), sp.GetRequiredService<HttpsTransport>()));
        services.AddSingleton(sp => new ReportSender(sp.GetRequiredService<ReportingStore>(), sp.GetRequiredService<IReportTransport>(), sp.GetRequiredService<OutboundOptions>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<Observability.DaemonMetrics>(), sp.GetRequiredService<ILogger<ReportSender>>()));
        services.AddSingleton(sp => new OutboundWorker(sp.GetRequiredService<ReportingStore>(), sp.GetRequiredService<DailyReportBuilder>(), sp.GetRequiredService<ReportSender>(),
            sp.GetRequiredService<LeaseKeeper>(), sp.GetRequiredService<OutboundOptions>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<OutboundWorker>>()));
        if (configuration.GetValue<bool>(OutboundOptions.Section + ":" + nameof(OutboundOptions.Enabled)))
        {
            services.AddHostedService(sp => sp.GetRequiredService<OutboundWorker>());
        }

        return services;
    }
}

/// <summary>Refuses, at start, settings with which no report could be sent as RFC 8460 asks.</summary>
public sealed class OutboundOptionsValidator : IValidateOptions<OutboundOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, OutboundOptions o)
    {
        if (!o.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        var errors = new List<string>();
        const string At = OutboundOptions.Section;
        if (string.IsNullOrWhiteSpace(o.OrganizationName))
        {
            errors.Add($"{At}:OrganizationName is required (RFC 8460 organization-name).");
        }

        if (string.IsNullOrWhiteSpace(o.ContactInfo))
        {
            errors.Add($"{At}:ContactInfo is required (RFC 8460 contact-info: an address receivers can write to).");
        }

        if (!Domain.Names.DomainName.TryParse(o.SubmitterDomain, out _, out var domainError))
        {
            errors.Add($"{At}:SubmitterDomain '{o.SubmitterDomain}' is not a domain name ({domainError}).");
        }

        if (string.IsNullOrWhiteSpace(o.Mail.Host))
        {
            errors.Add($"{At}:Mail:Host is required: most rua destinations are mailto: addresses.");
        }

        if (o.Mail.DkimKeyFile is null || o.Mail.DkimSelector is null)
        {
            errors.Add($"{At}:Mail:DkimKeyFile and {At}:Mail:DkimSelector are required: RFC 8460 §5.3.1 reports must be DKIM-signed.");
        }
        else if (!File.Exists(o.Mail.DkimKeyFile))
        {
            errors.Add($"{At}:Mail:DkimKeyFile '{o.Mail.DkimKeyFile}' does not exist.");
        }
        else
        {
            try
            {
                ReportMessage.Signer(o.Mail.DkimKeyFile, o.Mail.DkimDomain ?? "example.net", o.Mail.DkimSelector);
            }
            catch (Exception ex) when (ex is FormatException or InvalidOperationException or IOException or ArgumentException or UnauthorizedAccessException
                                           || ex.GetType().Namespace?.StartsWith("Org.BouncyCastle", StringComparison.Ordinal) == true)
            {
                errors.Add($"{At}:Mail:DkimKeyFile '{o.Mail.DkimKeyFile}' holds no private key MimeKit can sign with: {ex.Message}");
            }
        }

        if (o.Mail.User is { Length: > 0 } && (o.Mail.PasswordFile is null || !File.Exists(o.Mail.PasswordFile)))
        {
            errors.Add($"{At}:Mail:PasswordFile must name an existing file when {At}:Mail:User is set.");
        }

        foreach (var (key, file) in new[] { ("Mail:TrustedCaFile", o.Mail.TrustedCaFile), ("HttpsTrustedCaFile", o.HttpsTrustedCaFile) })
        {
            if (file is not null && !File.Exists(file))
            {
                errors.Add($"{At}:{key} '{file}' does not exist.");
            }
        }

        if (o.Mail.From is { } from && !(MimeKit.MailboxAddress.TryParse(from, out var address) && address.Address.Contains('@', StringComparison.Ordinal)))
        {
            errors.Add($"{At}:Mail:From '{from}' is not a mail address.");
        }

        foreach (var (key, value) in new[] { ("FirstRetry", o.FirstRetry), ("MaxRetry", o.MaxRetry), ("GiveUpAfter", o.GiveUpAfter), ("SuppressFor", o.SuppressFor), ("AttemptTimeout", o.AttemptTimeout), ("PollInterval", o.PollInterval) })
        {
            if (value <= TimeSpan.Zero)
            {
                errors.Add($"{At}:{key} must be more than zero (got {value}).");
            }
        }

        if (o.BuildDelay < TimeSpan.Zero || o.SpreadWindow < TimeSpan.Zero)
        {
            errors.Add($"{At}:BuildDelay and {At}:SpreadWindow may not be negative.");
        }

        if (o.LookbackDays < 1 || o.SuppressAfter < 1 || o.MaxParallelDeliveries < 1)
        {
            errors.Add($"{At}:LookbackDays, {At}:SuppressAfter and {At}:MaxParallelDeliveries must be at least 1.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
