using MtaStsReporting.Domain.TlsRpt;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using MtaStsReporting.Daemon.Hosting;
using MtaStsReporting.Persistence.Reports;

namespace MtaStsReporting.Daemon.Ingestion;

/// <summary>
/// Reports POSTed to an <c>rua=https:</c> URI (RFC 8460 §5.4): the body is the report,
/// <c>application/tlsrpt+gzip</c> or <c>application/tlsrpt+json</c>. 2xx only once committed
/// (200 for a new report, and for a duplicate, which adds nothing); 4xx with the reason otherwise.
/// </summary>
public static class HttpsReportEndpoint
{
    private static readonly string[] MediaTypes = ["application/tlsrpt+gzip", "application/tlsrpt+json", "application/json", "application/gzip"];

    /// <summary>Maps the upload route; it answers only on the ingestion listener.</summary>
    public static void MapReportUpload(this WebApplication app, Listeners listeners)
    {
        var options = app.Services.GetRequiredService<IOptions<IngestionOptions>>().Value;
        if (!options.Https.Enabled)
        {
            return;
        }

        // The upload listener faces reporters on the internet, who send no credentials (RFC 8460
        // §5.4): nothing else answers there, not the API (whose routes match on every listener),
        // the metrics or the dashboard, whatever Security:Authentication says.
        app.Use(async (context, next) =>
        {
            if (context.Connection.LocalPort == listeners.IngestionPort
                && !(HttpMethods.IsPost(context.Request.Method) && context.Request.Path.Equals(options.Https.Path, StringComparison.Ordinal)))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            await next(context);
        });

        app.MapPost(options.Https.Path, async (HttpContext context, ReportIngestor ingestor) =>
        {
            if (context.Connection.LocalPort != listeners.IngestionPort)
            {
                return Results.NotFound();
            }

            var mediaType = context.Request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
            if (mediaType is null || !MediaTypes.Contains(mediaType))
            {
                return Results.Text($"Content-Type must be application/tlsrpt+gzip or application/tlsrpt+json (got '{mediaType}').\n", statusCode: StatusCodes.Status415UnsupportedMediaType);
            }

            var limit = ingestor.Reader.Limits.MaxMessageBytes;
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = limit;
            }

            byte[] body;
            try
            {
                using var buffer = new MemoryStream();
                await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
                body = buffer.ToArray();
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return Results.Text($"The report is larger than {limit} bytes.\n", statusCode: StatusCodes.Status413PayloadTooLarge);
            }

            var source = new ReportSource("https", context.Connection.RemoteIpAddress?.ToString() ?? "unknown", null);
            IngestResult result;
            try
            {
                result = (await ingestor.IngestAsync([new InboundItem(source, body, InboundKind.Payload)], context.RequestAborted))[0];
            }
            catch (Persistence.StoreUnavailableException ex)
            {
                // Nothing was committed; a 5xx tells the reporter to try again (RFC 8460 §5.4).
                context.Response.Headers.RetryAfter = "300";
                return Results.Text($"{ex.Message} Send the report again later.\n", statusCode: StatusCodes.Status503ServiceUnavailable);
            }

            return result.Status switch
            {
                IngestStatus.Imported or IngestStatus.Duplicate or IngestStatus.Conflict => Results.Json(new
                {
                    status = result.Status,
                    conflict = result.Status == IngestStatus.Conflict ? result.Error : null,
                    organization = result.Report!.OrganizationName,
                    reportId = result.Report.ReportId,
                    policyDomains = result.Report.PolicyDomains,
                    successCount = result.Report.SuccessCount,
                    failureCount = result.Report.FailureCount,
                    flags = result.Report.Flags.Select(f => f.ToString()),
                }),
                _ => Results.Text($"{result.Status}: {result.Error}\n", statusCode: StatusCodes.Status400BadRequest),
            };
        });
    }
}
