using System.Globalization;
using MtaStsReporting.Api.V1;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace MtaStsReporting.Daemon.Dashboard;

/// <summary>
/// A domain's daily trend in one direction, drawn as SVG by OxyPlot on the server: the day's
/// sessions as columns on the left axis, the failures per result type as lines on the right
/// axis (failures are usually a small share of the sessions and would vanish on one scale).
/// The page needs no charting script and works without internet.
/// </summary>
public static class TrendChart
{
    /// <summary>The chart's colours: text and lines for a light or a dark page.</summary>
    public sealed record Theme(string Name, OxyColor Text, OxyColor Grid, OxyColor Sessions, IReadOnlyList<OxyColor> Failures)
    {
        /// <summary>Dark text on white.</summary>
        public static readonly Theme Light = new("light", OxyColor.FromRgb(0x1f, 0x23, 0x28), OxyColor.FromRgb(0xd8, 0xde, 0xe4), OxyColor.FromRgb(0x9e, 0xc5, 0xe8),
            [OxyColor.FromRgb(0xc6, 0x28, 0x28), OxyColor.FromRgb(0xe6, 0x7e, 0x00), OxyColor.FromRgb(0x6a, 0x1b, 0x9a), OxyColor.FromRgb(0x00, 0x79, 0x6b), OxyColor.FromRgb(0x54, 0x6e, 0x7a)]);

        /// <summary>Light text on a dark page.</summary>
        public static readonly Theme Dark = new("dark", OxyColor.FromRgb(0xe6, 0xed, 0xf3), OxyColor.FromRgb(0x30, 0x36, 0x3d), OxyColor.FromRgb(0x2f, 0x5f, 0x8f),
            [OxyColor.FromRgb(0xff, 0x6b, 0x6b), OxyColor.FromRgb(0xff, 0xb3, 0x47), OxyColor.FromRgb(0xc0, 0x84, 0xfc), OxyColor.FromRgb(0x4d, 0xd0, 0xc0), OxyColor.FromRgb(0xa0, 0xb4, 0xc0)]);
    }

    /// <summary>The smallest and largest sizes a chart is drawn at, in pixels (the page asks for its column's width).</summary>
    public static readonly (int Width, int Height) Smallest = (320, 200), Largest = (2000, 800);

    /// <summary>At most this many result types get a line of their own; the rest are summed as "other".</summary>
    public const int MaxFailureLines = 4;

    /// <summary>
    /// The SVG element of one direction's series, to be inlined into the page: without the XML
    /// declaration, and with a viewBox so that it scales to the page's width.
    /// </summary>
    public static string Render(string domain, TrendSeries series, Theme theme, int width = 960, int height = 320)
    {
        var svg = SvgExporter.ExportToString(Build(domain, series, theme, compact: width < 700), width, height, isDocument: false, new PixelTextMeasurer());
        var start = svg.IndexOf("<svg ", StringComparison.Ordinal);
        return string.Create(CultureInfo.InvariantCulture, $"<svg viewBox=\"0 0 {width} {height}\" ") + svg[(start + "<svg ".Length)..];
    }

    /// <summary>
    /// The plot: one column per day for the sessions, one line per result type for the failures.
    /// Compact (a phone's width): the legend is one entry per line, as a row would not fit.
    /// </summary>
    public static PlotModel Build(string domain, TrendSeries series, Theme theme, bool compact = false)
    {
        var days = series.Days.ToList();
        var model = new PlotModel
        {
            Title = $"{domain}: {(series.Direction == Direction.Inbound ? "inbound (reports about us)" : "outbound (our relays)")}",
            TitleFontSize = 13,
            TitleColor = theme.Text,
            TextColor = theme.Text,
            PlotAreaBorderColor = theme.Grid,
            Background = OxyColors.Transparent,
            // Measured with Helvetica's widths (OxyPlot's SVG exporter); Arial and Liberation Sans share them.
            DefaultFont = "Arial, Liberation Sans, Helvetica, sans-serif",
        };
        model.Legends.Add(new Legend
        {
            LegendPosition = LegendPosition.BottomCenter,
            LegendPlacement = LegendPlacement.Outside,
            LegendOrientation = compact ? LegendOrientation.Vertical : LegendOrientation.Horizontal,
            LegendItemSpacing = 16,
            LegendTextColor = theme.Text,
            LegendBackground = OxyColors.Transparent,
        });

        // Category labels: every day when there are few, else one in seven (a week).
        var step = days.Count <= 14 ? 1 : 7;
        var categories = new CategoryAxis
        {
            Position = AxisPosition.Bottom,
            Key = "days",
            TextColor = theme.Text,
            TicklineColor = theme.Grid,
            AxislineColor = theme.Grid,
            MajorStep = step,
            IsZoomEnabled = false,
            IsPanEnabled = false,
        };
        categories.Labels.AddRange(days.Select(d => d.Day.Length == 10 ? d.Day[5..] : d.Day));
        model.Axes.Add(categories);
        // Sessions on the left with the grid; failures on the right, at least 0 to 5 so that a
        // day with one failure does not look like a wall.
        model.Axes.Add(CountAxis(AxisPosition.Left, "sessions", theme, grid: true));
        var failures = CountAxis(AxisPosition.Right, "failures", theme, grid: false);
        failures.MinimumRange = 5;
        model.Axes.Add(failures);

        var sessions = new BarSeries
        {
            Title = "sessions",
            FillColor = theme.Sessions,
            XAxisKey = "sessions",
            YAxisKey = "days",
            BarWidth = 0.8,
            StrokeThickness = 0,
        };
        sessions.Items.AddRange(days.Select(d => new BarItem(d.Successes + d.Failures)));
        model.Series.Add(sessions);

        foreach (var (type, index) in FailureLines(days).Select((t, i) => (t, i)))
        {
            var line = new LineSeries
            {
                Title = type.Name,
                Color = theme.Failures[index % theme.Failures.Count],
                StrokeThickness = 2,
                MarkerType = MarkerType.Circle,
                MarkerSize = days.Count <= 14 ? 3 : 0,
                MarkerFill = theme.Failures[index % theme.Failures.Count],
                XAxisKey = "days",
                YAxisKey = "failures",
            };
            line.Points.AddRange(days.Select((d, i) => new DataPoint(i, type.Count(d))));
            model.Series.Add(line);
        }

        return model;
    }

    /// <summary>A count axis from zero, with headroom above the highest value, in the theme's colours.</summary>
    private static LinearAxis CountAxis(AxisPosition position, string name, Theme theme, bool grid) => new()
    {
        Position = position,
        Key = name,
        Title = name,
        Minimum = 0,
        MinimumPadding = 0,
        MaximumPadding = 0.15,
        MajorGridlineStyle = grid ? LineStyle.Solid : LineStyle.None,
        MajorGridlineColor = theme.Grid,
        TextColor = theme.Text,
        TitleColor = theme.Text,
        TicklineColor = theme.Grid,
        AxislineColor = theme.Grid,
        StringFormat = "#,0",
        IsZoomEnabled = false,
        IsPanEnabled = false,
    };

    /// <summary>
    /// The result types drawn as lines, most failures first; past <see cref="MaxFailureLines"/>
    /// the rest are one "other" line. Without any failure, one flat "failures" line at zero.
    /// </summary>
    public static IReadOnlyList<(string Name, Func<TrendDay, long> Count)> FailureLines(IReadOnlyList<TrendDay> days)
    {
        var types = days.SelectMany(d => d.FailuresByResultType)
            .GroupBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(g => (Type: g.Key, Total: g.Sum(kv => kv.Value)))
            .OrderByDescending(t => t.Total).ThenBy(t => t.Type, StringComparer.Ordinal)
            .Select(t => t.Type)
            .ToList();
        if (types.Count == 0)
        {
            return [("failures", d => d.Failures)];
        }

        var shown = types.Count <= MaxFailureLines ? types : types.Take(MaxFailureLines - 1).ToList();
        var lines = shown.Select(t => (t, (Func<TrendDay, long>)(d => d.FailuresByResultType.TryGetValue(t, out var n) ? n : 0))).ToList();
        if (shown.Count < types.Count)
        {
            var rest = types.Skip(shown.Count).ToHashSet(StringComparer.Ordinal);
            lines.Add(($"other ({rest.Count} types)", d => d.FailuresByResultType.Where(kv => rest.Contains(kv.Key)).Sum(kv => kv.Value)));
        }

        return lines;
    }
}
