using MtaStsReporting.Api.V1;
using MtaStsReporting.Daemon.Dashboard;

namespace MtaStsReporting.Daemon.Tests.Dashboard;

/// <summary>The trend chart: which lines are drawn, and SVG that a page can inline safely.</summary>
public sealed class TrendChartTests
{
    private static TrendDay Day(string day, long successes, params (string Type, long Count)[] failures)
    {
        var d = new TrendDay { Day = day, Successes = successes, Failures = failures.Sum(f => f.Count) };
        foreach (var (type, n) in failures)
        {
            d.FailuresByResultType[type] = n;
        }

        return d;
    }

    private static TrendSeries Series(params TrendDay[] days) => new() { Direction = Direction.Outbound, Days = { days } };

    [Fact]
    public void Result_types_are_lines_most_failures_first_and_past_four_the_rest_is_one_other_line()
    {
        string[] four = ["a", "b", "c", "d"];
        var atLimit = TrendChart.FailureLines([Day("2026-11-01", 1, ("a", 1), ("b", 4), ("c", 3), ("d", 2))]);
        Assert.Equal(["b", "c", "d", "a"], atLimit.Select(l => l.Name));
        Assert.Equal(TrendChart.MaxFailureLines, four.Length);

        var day = Day("2026-11-01", 1, ("a", 1), ("b", 4), ("c", 3), ("d", 2), ("e", 5));
        var past = TrendChart.FailureLines([day]);
        Assert.Equal(["e", "b", "c", "other (2 types)"], past.Select(l => l.Name));
        Assert.Equal([5L, 4L, 3L, 3L], past.Select(l => l.Count(day)));
    }

    [Fact]
    public void Without_failures_one_flat_line_is_drawn_and_ties_are_in_name_order()
    {
        var quiet = Day("2026-11-01", 10);
        var line = Assert.Single(TrendChart.FailureLines([quiet]));
        Assert.Equal(("failures", 0L), (line.Name, line.Count(quiet)));

        var tie = Day("2026-11-01", 1, ("z", 2), ("m", 2));
        Assert.Equal(["m", "z"], TrendChart.FailureLines([tie]).Select(l => l.Name));
    }

    [Fact]
    public void The_svg_has_a_column_per_day_with_sessions_a_line_per_result_type_and_escaped_text()
    {
        var series = Series(Day("2026-11-27", 90, ("certificate-expired", 6), ("<b>&odd", 4)), Day("2026-11-28", 60), Day("2026-11-29", 0));

        var svg = TrendChart.Render("alpha.example", series, TrendChart.Theme.Light);

        var document = System.Xml.Linq.XDocument.Parse(svg);
        Assert.Equal("svg", document.Root!.Name.LocalName);
        var texts = document.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value).ToList();
        Assert.Contains("alpha.example: outbound (our relays)", texts);
        Assert.Contains("<b>&odd", texts);
        Assert.Contains("certificate-expired", texts);
        Assert.Contains("11-27", texts);
        Assert.DoesNotContain("<b>", svg, StringComparison.Ordinal);
        // Two result types: two lines of three points each.
        var lines = document.Descendants().Where(e => e.Name.LocalName == "polyline").Select(e => e.Attribute("points")!.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length).ToList();
        Assert.Equal(2, lines.Count(n => n == 3));

        // The sessions' columns (the theme's colour), as tall as the day's sessions: 100 and 60.
        var columns = document.Descendants().Where(e => e.Name.LocalName == "rect" && (e.Attribute("style")?.Value.Contains("fill:rgb(158,197,232)", StringComparison.Ordinal) ?? false))
            .Select(e => double.Parse(e.Attribute("height")!.Value, System.Globalization.CultureInfo.InvariantCulture)).Where(h => h > 0).ToList();
        // Two columns (the day without sessions has none) and the legend's swatch.
        Assert.Equal(3, columns.Count);
        var tallest = columns.OrderDescending().ToList();
        Assert.Equal(100.0 / 60, tallest[0] / tallest[1], 2);

        // Scaled by the page: a viewBox, no XML declaration (the SVG is inlined into HTML).
        Assert.StartsWith("<svg viewBox=\"0 0 960 320\"", svg, StringComparison.Ordinal);
    }

    [Fact]
    public void The_dark_theme_writes_its_text_in_a_light_colour()
    {
        var series = Series(Day("2026-11-27", 5));
        var light = TrendChart.Render("a.example", series, TrendChart.Theme.Light);
        var dark = TrendChart.Render("a.example", series, TrendChart.Theme.Dark);

        Assert.Contains("fill=\"rgb(230,237,243)\">a.example", dark, StringComparison.Ordinal);
        Assert.Contains("fill=\"rgb(31,35,40)\">a.example", light, StringComparison.Ordinal);
        Assert.DoesNotContain("rgb(230,237,243)", light, StringComparison.Ordinal);
    }
}

/// <summary>Text measured in pixels, as the SVG is drawn.</summary>
public sealed class PixelTextMeasurerTests
{
    [Theory]
    [InlineData("certificate-expired", 12)]
    [InlineData("starttls-not-supported", 11)]
    [InlineData("W", 20)]
    public void Text_is_four_thirds_of_its_size_in_points(string text, double size)
    {
        var points = new OxyPlot.PdfRenderContext(100, 100, OxyPlot.OxyColors.Transparent).MeasureText(text, "Arial", size, 400);

        var pixels = new PixelTextMeasurer().MeasureText(text, "Arial", size, 400);

        Assert.Equal(points.Width * 96 / 72, pixels.Width, 6);
        Assert.Equal(points.Height * 96 / 72, pixels.Height, 6);
        Assert.True(pixels.Width > points.Width);
    }
}
