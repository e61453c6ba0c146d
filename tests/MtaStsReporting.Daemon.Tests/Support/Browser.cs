using Microsoft.Playwright;

namespace MtaStsReporting.Daemon.Tests.Support;

/// <summary>
/// Debian's headless Chromium driven by Playwright (no browser is downloaded: test.sh installs
/// the package), with the flags that keep it off the network. Screenshots go to
/// <c>artifacts/screenshots/</c> at the repository's root, kept after the run.
/// </summary>
public sealed class Browser : IAsyncLifetime
{
    private static readonly string[] Candidates = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"];

    private IPlaywright? _playwright;

    public IBrowser Instance { get; private set; } = null!;

    /// <summary>Where the screenshots are written.</summary>
    public static string ScreenshotFolder
    {
        get
        {
            var path = Path.Combine(Repository.Root, "artifacts", "screenshots");
            Directory.CreateDirectory(path);
            return path;
        }
    }

    public async Task InitializeAsync()
    {
        var executable = Candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("Chromium is not installed: test.sh installs Debian's chromium package (apt-get install chromium)");
        _playwright = await Playwright.CreateAsync();
        Instance = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>A new page of its own context (its own storage) at a viewport size and colour scheme.</summary>
    public async Task<IPage> PageAsync(int width = 1280, int height = 900, ColorScheme scheme = ColorScheme.Light)
    {
        var context = await Instance.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            ColorScheme = scheme,
        });
        context.SetDefaultTimeout(15_000);
        return await context.NewPageAsync();
    }

    public async Task DisposeAsync()
    {
        if (Instance is not null)
        {
            await Instance.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}
