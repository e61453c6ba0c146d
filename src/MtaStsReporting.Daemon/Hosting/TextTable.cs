using System.Globalization;

namespace MtaStsReporting.Daemon.Hosting;

/// <summary>
/// An aligned table for the commands' default output, as <c>kubectl get</c> prints one:
/// upper-case headers, two spaces between columns, numbers right-aligned, nothing else.
/// </summary>
public sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];
    private readonly bool[] _numeric = new bool[headers.Length];

    /// <summary>The rows added so far.</summary>
    public int Count => _rows.Count;

    /// <summary>Marks columns whose values are right-aligned (counts, rates).</summary>
    public TextTable RightAligned(params int[] columns)
    {
        foreach (var c in columns)
        {
            _numeric[c] = true;
        }

        return this;
    }

    /// <summary>Adds a row; missing cells are empty, extra cells are an error.</summary>
    public void Add(params object?[] cells)
    {
        if (cells.Length > headers.Length)
        {
            throw new ArgumentException($"{cells.Length} cells for {headers.Length} columns", nameof(cells));
        }

        _rows.Add([.. Enumerable.Range(0, headers.Length).Select(i => i < cells.Length ? Cell(cells[i]) : "")]);
    }

    /// <summary>Writes the header and the rows, each line without trailing spaces.</summary>
    public void WriteTo(TextWriter output)
    {
        var widths = headers.Select((h, i) => _rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        Write(output, headers, widths);
        foreach (var row in _rows)
        {
            Write(output, row, widths);
        }
    }

    private void Write(TextWriter output, string[] cells, int[] widths)
    {
        var parts = cells.Select((c, i) => _numeric[i] ? c.PadLeft(widths[i]) : i == cells.Length - 1 ? c : c.PadRight(widths[i]));
        output.WriteLine(string.Join("  ", parts).TrimEnd());
    }

    /// <summary>Numbers in the invariant culture; a rate (double) as a percentage with two decimals.</summary>
    private static string Cell(object? value) => value switch
    {
        null => "",
        double rate => (rate * 100).ToString("0.00", CultureInfo.InvariantCulture) + "%",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
