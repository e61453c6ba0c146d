using MtaStsReporting.Api.V1;
using MtaStsReporting.Domain.RelayOutcomes;
using MtaStsReporting.Daemon.Hosting;
using MtaStsReporting.Daemon.Queries;
using MtaStsReporting.Daemon.Security;

namespace MtaStsReporting.Daemon.Dashboard;

/// <summary>
/// The dashboard on the HTTP/JSON API listener: <c>/dashboard/</c> serves a page and its script
/// and style (embedded in the executable, no build step, nothing from a CDN); the page reads
/// the same HTTP/JSON API as curl, with the reader key the user types when keys are on. The
/// only route of its own with data is the trend chart, drawn as SVG on the server
/// (<see cref="TrendChart"/>) under the query API's access rule, at the size the page asks
/// for (its column's width, within <see cref="TrendChart.Smallest"/> and <see cref="TrendChart.Largest"/>).
/// </summary>
public static class DashboardEndpoints
{
    private static readonly Dictionary<string, string> MediaTypes = new(StringComparer.Ordinal)
    {
        ["index.html"] = "text/html; charset=utf-8",
        ["app.js"] = "text/javascript; charset=utf-8",
        ["app.css"] = "text/css; charset=utf-8",
    };

    // The page runs only its own script and style; the charts are inline SVG (style attributes).
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>Maps the dashboard's routes; they answer only on the HTTP/JSON API listener.</summary>
    public static void MapDashboard(this WebApplication app, Listeners listeners)
    {
        bool OnHttpApi(HttpContext context) => listeners.HttpApiPort is { } port && context.Connection.LocalPort == port;

        app.MapGet("/", (HttpContext context) => OnHttpApi(context) ? Results.Redirect("/dashboard/") : Results.NotFound());
        app.MapGet("/dashboard/{file?}", (HttpContext context, string? file) =>
        {
            if (!OnHttpApi(context))
            {
                return Results.NotFound();
            }

            // Routing matches /dashboard and /dashboard/ alike; the page's relative links need the slash.
            if (file is null && !context.Request.Path.Value!.EndsWith('/'))
            {
                return Results.Redirect("/dashboard/");
            }

            file ??= "index.html";
            if (!MediaTypes.TryGetValue(file, out var mediaType))
            {
                return Results.NotFound();
            }

            using var stream = typeof(DashboardEndpoints).Assembly.GetManifestResourceStream("dashboard/" + file)!;
            using var reader = new StreamReader(stream);
            context.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
            context.Response.Headers.XContentTypeOptions = "nosniff";
            context.Response.Headers.CacheControl = "no-cache";
            return Results.Text(reader.ReadToEnd(), mediaType);
        });

        app.MapGet("/dashboard/charts/trend.svg", async (HttpContext context, ReportingQueries queries, TimeProvider time, AuthorizationInterceptor authorization) =>
        {
            if (!OnHttpApi(context))
            {
                return Results.NotFound();
            }

            if (await authorization.AuthorizeHttpAsync(context, AuthorizationInterceptor.DashboardReaders) is { } refused)
            {
                return Results.Text(refused.Reason + "\n", statusCode: refused.Status);
            }

            var query = context.Request.Query;
            var direction = query["direction"].ToString() switch
            {
                "inbound" or "DIRECTION_INBOUND" => Direction.Inbound,
                "outbound" or "DIRECTION_OUTBOUND" or "" => Direction.Outbound,
                _ => (Direction)(-1),
            };
            var range = new DayRange { StartDay = query["start_day"].ToString(), EndDay = query["end_day"].ToString() };
            var domain = "";
            var days = default(Days);
            var problem = (int)direction < 0 ? new FieldError("direction", $"'{query["direction"]}' is not outbound or inbound")
                : QueryArguments.ReadDomain(query["domain"].ToString(), out domain) ?? QueryArguments.ReadRange(range, time, out days);
            if (problem is not null)
            {
                return Results.Text(problem + "\n", statusCode: StatusCodes.Status400BadRequest);
            }

            if (!await queries.KnowsDomainAsync(domain, direction, context.RequestAborted))
            {
                return Results.Text(QueryArguments.NoData(domain, direction) + "\n", statusCode: StatusCodes.Status404NotFound);
            }

            var trend = await queries.TrendAsync(domain, days, direction, context.RequestAborted);
            var theme = query["theme"] == "dark" ? TrendChart.Theme.Dark : TrendChart.Theme.Light;
            context.Response.Headers.CacheControl = "no-store";
            var width = Math.Clamp(int.TryParse(query["width"], out var w) ? w : 960, TrendChart.Smallest.Width, TrendChart.Largest.Width);
            var height = Math.Clamp(int.TryParse(query["height"], out var h) ? h : 320, TrendChart.Smallest.Height, TrendChart.Largest.Height);
            return Results.Text(TrendChart.Render(domain, trend.Series.Single(), theme, width, height), "image/svg+xml; charset=utf-8");
        });
    }
}
