namespace MtaStsReporting.Daemon.Tests.Support;

/// <summary>The shared corpus of real reports, beside the repository (../shared/corpus).</summary>
public static class Corpus
{
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !System.IO.File.Exists(Path.Combine(dir.FullName, "MtaStsReporting.sln")))
            {
                dir = dir.Parent;
            }

            var corpus = Path.GetFullPath(Path.Combine(dir?.FullName ?? ".", "..", "shared", "corpus"));
            return Directory.Exists(corpus) ? corpus : throw new DirectoryNotFoundException("The shared corpus is expected at " + corpus);
        }
    }

    public static string File(string relative) => Path.Combine(Root, relative);
}
