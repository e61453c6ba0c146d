namespace MtaStsReporting.Daemon.Tests.Support;

/// <summary>
/// The shared corpus of real reports, beside the repository (../shared/corpus). Only the corpus
/// conformance tests read it; every other test builds its own reports (<see cref="TestReports"/>).
/// </summary>
public static class Corpus
{
    /// <summary>Where the corpus is expected: ../shared/corpus beside the clone.</summary>
    public static string ExpectedPath { get; } = Locate();

    public static bool Present => Directory.Exists(ExpectedPath);

    /// <summary>
    /// Why the corpus tests do not run here, or null when they do. A clone alone (a user's
    /// machine) skips them and says so; under CI (CI=true) they run and a missing corpus fails.
    /// </summary>
    public static string? SkipReason =>
        Present || string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
            ? null
            : $"the corpus of real reports is not at {ExpectedPath} (it lies beside the clone in CI; with CI=true its absence fails the run)";

    public static string Root => Present ? ExpectedPath : throw new DirectoryNotFoundException("The shared corpus is expected at " + ExpectedPath);

    public static string File(string relative) => Path.Combine(Root, relative);

    private static string Locate()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !System.IO.File.Exists(Path.Combine(dir.FullName, "MtaStsReporting.sln")))
        {
            dir = dir.Parent;
        }

        return Path.GetFullPath(Path.Combine(dir?.FullName ?? ".", "..", "shared", "corpus"));
    }
}

/// <summary>A fact that reads the shared corpus: skipped with the reason where it is absent (outside CI).</summary>
public sealed class CorpusFactAttribute : FactAttribute
{
    public CorpusFactAttribute() => Skip = Corpus.SkipReason;
}

/// <summary>A theory that reads the shared corpus: skipped with the reason where it is absent (outside CI).</summary>
public sealed class CorpusTheoryAttribute : TheoryAttribute
{
    public CorpusTheoryAttribute() => Skip = Corpus.SkipReason;
}
