namespace MtaStsReporting.Daemon.Tests.Support;

/// <summary>The clone the tests run from.</summary>
public static class Repository
{
    /// <summary>The folder holding MtaStsReporting.sln, above the test's output folder.</summary>
    public static string Root
    {
        get
        {
            var folder = new DirectoryInfo(AppContext.BaseDirectory);
            while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "MtaStsReporting.sln")))
            {
                folder = folder.Parent;
            }

            return folder?.FullName ?? throw new InvalidOperationException("The repository root (MtaStsReporting.sln) is not above " + AppContext.BaseDirectory);
        }
    }
}
