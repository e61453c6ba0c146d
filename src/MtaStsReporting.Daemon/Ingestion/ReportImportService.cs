using MtaStsReporting.Domain.TlsRpt;
using Grpc.Core;
using MtaStsReporting.Api.V1;
using MtaStsReporting.Persistence.Reports;

namespace MtaStsReporting.Daemon.Ingestion;

/// <summary>The admin import of one report over gRPC: translation only, the ingestor does the work.</summary>
public sealed class ReportImportService(ReportIngestor ingestor) : ReportImport.ReportImportBase
{
    /// <inheritdoc />
    public override async Task<ImportReportResponse> ImportReport(ImportReportRequest request, ServerCallContext context)
    {
        if (request.Content.IsEmpty)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "content: is empty"));
        }

        var kind = request.Kind switch
        {
            ImportReportRequest.Types.Kind.Mail => InboundKind.Mail,
            ImportReportRequest.Types.Kind.Payload => InboundKind.Payload,
            ImportReportRequest.Types.Kind.Unspecified => InboundKind.File,
            _ => throw new RpcException(new Status(StatusCode.InvalidArgument, $"kind: {(int)request.Kind} is not a known kind")),
        };
        var item = new InboundItem(new ReportSource("grpc", context.Peer, null), request.Content.Memory, kind, request.FileName.Length == 0 ? null : request.FileName);
        IngestResult result;
        try
        {
            result = (await ingestor.IngestAsync([item], context.CancellationToken))[0];
        }
        catch (Persistence.StoreUnavailableException ex)
        {
            // Nothing was committed (one transaction); the admin may send the same report again.
            throw new RpcException(new Status(StatusCode.Unavailable, ex.Message + " Send the report again later."));
        }

        if (result.Report is null || result.Status is IngestStatus.Invalid or IngestStatus.NotAReport)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"content: {result.Status}: {result.Error}"));
        }

        var r = result.Report;
        return new ImportReportResponse
        {
            Status = result.Status,
            Organization = r.OrganizationName,
            ReportId = r.ReportId,
            PolicyDomains = { r.PolicyDomains },
            SuccessCount = r.SuccessCount,
            FailureCount = r.FailureCount,
            Flags = { r.Flags.Select(f => f.ToString()) },
            Conflict = result.Status == IngestStatus.Conflict ? result.Error ?? string.Empty : string.Empty,
        };
    }
}
