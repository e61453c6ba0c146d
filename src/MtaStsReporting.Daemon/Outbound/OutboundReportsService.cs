using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Queries;
using MtaStsReporting.Domain.TlsRpt.Outbound;
using MtaStsReporting.Persistence.Outbound;
using MtaStsReporting.Persistence.Store;
using ApiReport = MtaStsReporting.Api.V1.OutboundReport;

namespace MtaStsReporting.Daemon.Outbound;

/// <summary>The admins' view of the sending side: argument checks and status codes around the store.</summary>
public sealed class OutboundReportsService(ReportingStore store, OutboundWorker worker, TimeProvider time) : OutboundReports.OutboundReportsBase
{
    private const int DefaultDays = 7;

    /// <inheritdoc />
    public override async Task<ListOutboundReportsResponse> ListOutboundReports(ListOutboundReportsRequest request, ServerCallContext context)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var to = request.To.Length == 0 ? today : Day(request.To, "to");
        var from = request.From.Length == 0 ? to.AddDays(1 - DefaultDays) : Day(request.From, "from");
        if (from > to)
        {
            throw Invalid("from", $"{Days.Format(from)} is after to {Days.Format(to)}");
        }

        var domain = request.Domain.Length == 0 ? null : Domain(request.Domain, "domain");
        var state = request.State.Length == 0 ? null : request.State;
        if (state is not null && !DeliveryStates.All.Contains(state))
        {
            throw Invalid("state", $"'{state}' is not one of {string.Join(", ", DeliveryStates.All)}");
        }

        if (QueryArguments.ReadPageSize(request.PageSize, out var size) is { } sizeError)
        {
            throw Invalid(sizeError.Field, sizeError.Message);
        }

        var fingerprint = $"outbound|{from}|{to}|{domain}|{state}|{size}";
        if (QueryArguments.ReadPageToken(request.PageToken, fingerprint, out var offset) is { } tokenError)
        {
            throw Invalid(tokenError.Field, tokenError.Message);
        }

        var rows = await store.Outbound.ListAsync(from, to, domain, state, offset, size + 1, context.CancellationToken);
        var response = new ListOutboundReportsResponse { NextPageToken = rows.Count > size ? QueryArguments.PageToken(offset + size, fingerprint) : "" };
        response.Reports.AddRange(rows.Take(size).Select(ToApi));
        return response;
    }

    /// <inheritdoc />
    public override async Task<ApiReport> GetOutboundReport(GetOutboundReportRequest request, ServerCallContext context)
    {
        if (request.ReportId.Length == 0)
        {
            throw Invalid("report_id", "is required");
        }

        return await store.Outbound.GetAsync(request.ReportId, context.CancellationToken) is { } report
            ? ToApi(report)
            : throw new RpcException(new Status(StatusCode.NotFound, $"no outbound report has the id '{request.ReportId}'"));
    }

    /// <inheritdoc />
    public override async Task<ListOutboundDecisionsResponse> ListOutboundDecisions(ListOutboundDecisionsRequest request, ServerCallContext context)
    {
        var day = Day(request.Day, "day");
        var response = new ListOutboundDecisionsResponse();
        response.Decisions.AddRange((await store.Outbound.DecisionsAsync(day, context.CancellationToken))
            .Select(d => new OutboundDecision { PolicyDomain = d.PolicyDomain, Outcome = d.Outcome, Detail = d.Detail }));
        return response;
    }

    /// <inheritdoc />
    public override async Task<OutboundChangeResponse> RebuildOutboundReports(RebuildOutboundReportsRequest request, ServerCallContext context)
    {
        var day = Day(request.Day, "day");
        var domain = request.Domain.Length == 0 ? null : Domain(request.Domain, "domain");
        var changed = await store.Outbound.RebuildAsync(day, domain, context.CancellationToken);
        worker.Wake();
        return new OutboundChangeResponse { Changed = changed };
    }

    /// <inheritdoc />
    public override async Task<OutboundChangeResponse> ResendOutboundReports(ResendOutboundReportsRequest request, ServerCallContext context)
    {
        int changed;
        if (request.ReportId.Length > 0)
        {
            if (request.Day.Length > 0 || request.Domain.Length > 0)
            {
                throw Invalid("report_id", "give either a report id or a day (with a domain), not both");
            }

            changed = await store.Outbound.ResendAsync(request.ReportId, context.CancellationToken);
        }
        else
        {
            var day = Day(request.Day, "day");
            changed = await store.Outbound.ResendAsync(day, request.Domain.Length == 0 ? null : Domain(request.Domain, "domain"), context.CancellationToken);
        }

        worker.Wake();
        return new OutboundChangeResponse { Changed = changed };
    }

    /// <inheritdoc />
    public override async Task<OutboundSettings> GetOutboundSettings(GetOutboundSettingsRequest request, ServerCallContext context) =>
        ToApi(await OutboundSwitches.ReadAsync(store.Outbound, context.CancellationToken));

    /// <inheritdoc />
    public override async Task<OutboundSettings> UpdateOutboundSettings(UpdateOutboundSettingsRequest request, ServerCallContext context)
    {
        try
        {
            await OutboundSwitches.WriteAsync(store.Outbound, request.HasPaused ? request.Paused : null, request.HasTestAddress ? request.TestAddress : null,
                request.SetExcludedDomains ? request.ExcludedDomains : null, context.CancellationToken);
        }
        catch (ArgumentException ex)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, ex.Message));
        }

        worker.Wake();
        return ToApi(await OutboundSwitches.ReadAsync(store.Outbound, context.CancellationToken));
    }

    private static OutboundSettings ToApi(OutboundSwitches switches)
    {
        var settings = new OutboundSettings { Paused = switches.Paused, TestAddress = switches.TestAddress?.OriginalString ?? "" };
        settings.ExcludedDomains.AddRange(switches.ExcludedDomains.Order(StringComparer.Ordinal));
        return settings;
    }

    private static ApiReport ToApi(StoredReport r)
    {
        var report = new ApiReport
        {
            ReportId = r.ReportId, Day = Days.Format(r.Day), PolicyDomain = r.PolicyDomain, Sessions = r.Sessions, Failures = r.Failures,
            BuiltAt = Timestamp.FromDateTimeOffset(r.BuiltAt), Json = r.Json ?? "",
        };
        foreach (var d in r.Deliveries)
        {
            var delivery = new OutboundDelivery
            {
                Destination = d.Destination, State = d.State, Attempts = d.Attempts, LastAnswer = d.LastAnswer ?? "", UpdatedAt = Timestamp.FromDateTimeOffset(d.UpdatedAt),
                NextAttemptAt = d.State == DeliveryStates.Pending ? Timestamp.FromDateTimeOffset(d.NextAttemptAt) : null,
            };
            delivery.AttemptLog.AddRange(d.AttemptLog.Select(a => new OutboundAttempt
            {
                Attempt = a.Attempt, SentTo = a.SentTo, StartedAt = Timestamp.FromDateTimeOffset(a.StartedAt),
                FinishedAt = a.FinishedAt is { } f ? Timestamp.FromDateTimeOffset(f) : null, Outcome = a.Outcome, Answer = a.Answer ?? "",
            }));
            report.Deliveries.Add(delivery);
        }

        return report;
    }

    private static DateOnly Day(string text, string field) =>
        QueryArguments.TryDay(text, out var day) ? day : throw Invalid(field, $"'{text}' is not a day (YYYY-MM-DD)");

    private static string Domain(string text, string field) =>
        QueryArguments.ReadDomain(text, out var domain) is { } error ? throw Invalid(field, error.Message) : domain;

    private static RpcException Invalid(string field, string message) => new(new Status(StatusCode.InvalidArgument, $"{field}: {message}"));
}
