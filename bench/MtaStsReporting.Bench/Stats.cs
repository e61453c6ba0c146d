namespace MtaStsReporting.Bench;

/// <summary>The figures every scenario reports: quantiles of a run's latencies, medians over rounds.</summary>
internal static class Stats
{
    /// <summary>The median of the values (the mean of the middle two for an even count).</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>The q-quantile of latencies sorted ascending: the sample at ⌊q·n⌋ (the last one at most); 0 for none.</summary>
    public static double Quantile(IReadOnlyList<double> sorted, double q) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];
}
