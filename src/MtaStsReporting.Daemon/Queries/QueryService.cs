using MtaStsReporting.Domain.RelayOutcomes;
using Grpc.Core;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Relay;

namespace MtaStsReporting.Daemon.Queries;

/// <summary>The query API: argument checks and status codes around <see cref="ReportingQueries"/>.</summary>
public sealed class QueryService(ReportingQueries queries, TimeProvider time) : Query.QueryBase
{
    /// <inheritdoc />
    public override async Task<ListDomainsResponse> ListDomains(ListDomainsRequest request, ServerCallContext context)
    {
        Check(QueryArguments.ReadRange(request.Range, time, out var days));
        Check(QueryArguments.ReadPageSize(request.PageSize, out var size));
        Check(CheckDirection(request.Direction, "direction", allowBoth: true));
        var mode = request.PolicyMode.Length == 0 ? null : request.PolicyMode;
        if (mode is not null and not ("enforce" or "testing" or "none"))
        {
            Check(new FieldError("policy_mode", $"'{mode}' is not enforce, testing or none"));
        }

        if (!Enum.IsDefined(request.Sort))
        {
            Check(new FieldError("sort", $"{(int)request.Sort} is not a known sort"));
        }

        var fingerprint = $"domains|{days}|{request.Direction}|{mode}|{request.Sort}|{size}";
        Check(QueryArguments.ReadPageToken(request.PageToken, fingerprint, out var offset));
        var rows = await queries.ListDomainsAsync(days, request.Direction, mode, request.Sort, offset, size + 1, context.CancellationToken);
        var response = new ListDomainsResponse { NextPageToken = NextPageToken(rows.Count, size, offset, fingerprint) };
        response.Domains.AddRange(rows.Take(size));
        if (await queries.DataDaysAsync(request.Direction, context.CancellationToken) is var (first, last))
        {
            (response.FirstDataDay, response.LastDataDay) = (Days.Format(first), Days.Format(last));
        }

        return response;
    }

    /// <inheritdoc />
    public override async Task<DomainSummary> GetDomainSummary(DomainRequest request, ServerCallContext context)
    {
        var (domain, days) = await DomainAsync(request.Domain, request.Range, request.Direction, context.CancellationToken);
        return await queries.SummaryAsync(domain, days, request.Direction, context.CancellationToken);
    }

    /// <inheritdoc />
    public override async Task<DailyTrend> GetDailyTrend(DomainRequest request, ServerCallContext context)
    {
        var (domain, days) = await DomainAsync(request.Domain, request.Range, request.Direction, context.CancellationToken);
        return await queries.TrendAsync(domain, days, request.Direction, context.CancellationToken);
    }

    /// <inheritdoc />
    public override async Task<FailureBreakdown> GetFailureBreakdown(BreakdownRequest request, ServerCallContext context)
    {
        Check(CheckDirection(request.Direction, "direction", allowBoth: false));
        if (request.Dimension == BreakdownRequest.Types.Dimension.Unspecified || !Enum.IsDefined(request.Dimension))
        {
            Check(new FieldError("dimension", "is required: result type, receiving MX, reporting organisation, sending MTA IP or policy"));
        }

        if (request.Dimension == BreakdownRequest.Types.Dimension.ReportingOrganization && request.Direction == Direction.Outbound)
        {
            Check(new FieldError("dimension", "reporting organisations exist only for inbound reports"));
        }

        var (domain, days) = await DomainAsync(request.Domain, request.Range, request.Direction, context.CancellationToken);
        return await queries.BreakdownAsync(domain, days, request.Direction, request.Dimension, context.CancellationToken);
    }

    /// <inheritdoc />
    public override async Task<PolicyHistory> GetPolicyHistory(DomainRequest request, ServerCallContext context)
    {
        var (domain, days) = await DomainAsync(request.Domain, request.Range, request.Direction, context.CancellationToken);
        return await queries.PolicyHistoryAsync(domain, days, request.Direction, context.CancellationToken);
    }

    /// <inheritdoc />
    public override async Task<ListReportsResponse> ListReports(ListReportsRequest request, ServerCallContext context)
    {
        Check(QueryArguments.ReadRange(request.Range, time, out var days));
        Check(QueryArguments.ReadPageSize(request.PageSize, out var size));
        string? domain = null;
        if (request.Domain.Length > 0)
        {
            Check(QueryArguments.ReadDomain(request.Domain, out var d));
            domain = d;
        }

        var organization = request.Organization.Length == 0 ? null : request.Organization;
        var fingerprint = $"reports|{days}|{domain}|{organization}|{size}";
        Check(QueryArguments.ReadPageToken(request.PageToken, fingerprint, out var offset));
        var rows = await queries.ListReportsAsync(days, domain, organization, offset, size + 1, context.CancellationToken);
        var response = new ListReportsResponse { NextPageToken = NextPageToken(rows.Count, size, offset, fingerprint) };
        response.Reports.AddRange(rows.Take(size));
        return response;
    }

    /// <inheritdoc />
    public override async Task<Report> GetReport(GetReportRequest request, ServerCallContext context)
    {
        if (request.Id <= 0)
        {
            Check(new FieldError("id", "must be a report id from ListReports"));
        }

        return await queries.ReportAsync(request.Id, request.IncludeOriginal, context.CancellationToken)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"id: no report {request.Id}"));
    }

    private async Task<(string Domain, Days Days)> DomainAsync(string text, DayRange? range, Direction direction, CancellationToken cancellationToken)
    {
        Check(QueryArguments.ReadDomain(text, out var domain));
        Check(QueryArguments.ReadRange(range, time, out var days));
        Check(CheckDirection(direction, "direction", allowBoth: true));
        if (!await queries.KnowsDomainAsync(domain, direction, cancellationToken))
        {
            throw new RpcException(new Status(StatusCode.NotFound, QueryArguments.NoData(domain, direction)));
        }

        return (domain, days);
    }

    /// <summary>Lists fetch one row more than a page: its presence says there is a next page.</summary>
    private static string NextPageToken(int fetched, int size, int offset, string fingerprint) =>
        fetched > size ? QueryArguments.PageToken(offset + size, fingerprint) : string.Empty;

    private static FieldError? CheckDirection(Direction direction, string field, bool allowBoth) => direction switch
    {
        Direction.Outbound or Direction.Inbound => null,
        Direction.Unspecified when allowBoth => null,
        Direction.Unspecified => new FieldError(field, "is required here: DIRECTION_OUTBOUND or DIRECTION_INBOUND"),
        _ => new FieldError(field, $"{(int)direction} is not a known direction"),
    };

    private static void Check(FieldError? error)
    {
        if (error is not null)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, error.ToString()));
        }
    }
}
