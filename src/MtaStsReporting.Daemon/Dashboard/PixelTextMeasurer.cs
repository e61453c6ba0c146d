using OxyPlot;

namespace MtaStsReporting.Daemon.Dashboard;

/// <summary>
/// Text sizes in CSS pixels for OxyPlot's SVG exporter. Its default measurer (the PDF one)
/// answers in points, 72 to the inch, while the SVG is drawn in pixels, 96 to the inch: legends
/// came out three quarters as wide as their text and were clipped. Helvetica's widths, which
/// the PDF measurer knows, are Arial's and Liberation Sans's (the chart's fonts).
/// </summary>
public sealed class PixelTextMeasurer : RenderContextBase
{
    private const double PixelsPerPoint = 96.0 / 72.0;

    private readonly PdfRenderContext _points = new(100, 100, OxyColors.Transparent);

    /// <inheritdoc />
    public override int ClipCount => 0;

    /// <inheritdoc />
    public override OxySize MeasureText(string text, string fontFamily, double fontSize, double fontWeight)
    {
        var size = _points.MeasureText(text, fontFamily, fontSize, fontWeight);
        return new OxySize(size.Width * PixelsPerPoint, size.Height * PixelsPerPoint);
    }

    // Only measuring is asked of a text measurer.
    /// <inheritdoc />
    public override void DrawLine(IList<ScreenPoint> points, OxyColor stroke, double thickness, EdgeRenderingMode edgeRenderingMode, double[]? dashArray, LineJoin lineJoin) { }

    /// <inheritdoc />
    public override void DrawPolygon(IList<ScreenPoint> points, OxyColor fill, OxyColor stroke, double thickness, EdgeRenderingMode edgeRenderingMode, double[]? dashArray, LineJoin lineJoin) { }

    /// <inheritdoc />
    public override void DrawText(ScreenPoint p, string text, OxyColor fill, string fontFamily, double fontSize, double fontWeight, double rotation, HorizontalAlignment halign, VerticalAlignment valign, OxySize? maxSize) { }

    /// <inheritdoc />
    public override void PopClip() { }

    /// <inheritdoc />
    public override void PushClip(OxyRect clippingRectangle) { }
}
