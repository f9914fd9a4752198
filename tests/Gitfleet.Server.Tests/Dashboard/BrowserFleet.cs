using System.Net;
using Gitfleet.Server.Tests.Monitoring;
using Gitfleet.Server.Tests.Support;
using Microsoft.Playwright;

namespace Gitfleet.Server.Tests.Dashboard;

/// <summary>
/// One real server with a production rollout to simulated devices (the device API over HTTPS), one pending device,
/// and Debian's chromium driven by Playwright (it cannot download its own browsers here). Shared by the browser
/// scenarios; each scenario moves the rollout on only as far as it needs.
/// </summary>
public sealed class BrowserFleet : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/lib/chromium/chromium";
    public const string ViewerEmail = "viewer@example.com";
    public const string ViewerPassword = "viewer password for tests";
    private const int FailingInstalls = 2;

    private readonly SemaphoreSlim moving = new(1, 1);
    private IPlaywright? playwright;
    private int failures;

    public ReconcileHarness Fleet { get; private set; } = null!;

    public List<FleetDevice> Devices { get; } = [];

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: scripts/prerequisites.sh installs Debian's chromium");
        }

        Fleet = await ReconcileHarness.StartAsync();
        for (var i = 0; i < 20; i++)
        {
            var device = await Fleet.DeviceAsync();
            // The first installs of image-2 fail their health check, as a bad image does on some hardware.
            device.Fails = name => name == "image-2" && Interlocked.Increment(ref failures) <= FailingInstalls;
            Devices.Add(device);
        }

        await Fleet.UploadImageAsync("image-2");
        Fleet.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["production"] = Devices }, "image-2",
            settings: "branches:\n  production:\n    rollout:\n      waves: [10%, 40%, 100%]\n      failureThreshold: 50%\n");
        Fleet.Repository.Git("branch", "-f", "production", Fleet.Repository.Commit("Release image-2 to production"));
        await Fleet.ReconcileAsync("production");

        // A device that asked to join and waits for an operator.
        using var pending = new SimulatedDevice(Fleet.Server.Anonymous());
        using (var ask = await pending.RequestAuthAsync())
        {
            ask.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }

        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        playwright?.Dispose();
        if (Fleet is not null)
        {
            await Fleet.DisposeAsync();
        }
    }

    /// <summary>A fresh browser (cookies of its own), signed in through the login page.</summary>
    public async Task<IPage> SignedInPageAsync(string user = "admin", string password = TestServer.AdminPassword, ViewportSize? viewport = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            IgnoreHTTPSErrors = true, // the server's self-signed certificate
            BaseURL = Fleet.Server.BaseUri.ToString(),
            ViewportSize = viewport ?? new ViewportSize { Width = 1280, Height = 900 },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/ui/");
        page.Url.ShouldContain("/ui/login");
        await page.GetByLabel("Email or user name").FillAsync(user);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync("**/ui/");
        return page;
    }

    /// <summary>Every device checks in once and installs what it is offered; then the engine decides. One step of the rollout.</summary>
    public async Task StepAsync()
    {
        await moving.WaitAsync();
        try
        {
            foreach (var device in Devices)
            {
                if (await device.CheckInAsync() is not null)
                {
                    await device.ConvergeAsync();
                }
            }

            Fleet.Time.Advance(TimeSpan.FromSeconds(30));
            await Fleet.RunAsync();
        }
        finally
        {
            moving.Release();
        }
    }

    /// <summary>Steps until the rollout has failed devices (the first installs fail).</summary>
    public async Task EnsureFailuresAsync()
    {
        for (var i = 0; i < 5 && (await Fleet.StatusAsync("production")).Devices.Failed == 0; i++)
        {
            await StepAsync();
        }

        (await Fleet.StatusAsync("production")).Devices.Failed.ShouldBeGreaterThan(0);
    }

    /// <summary>Saves a screenshot into the test results, and into docs/images when GITFLEET_SCREENSHOTS=1 (how the README's pictures are made).</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        ArgumentNullException.ThrowIfNull(page);
        var bytes = await page.ScreenshotAsync(new PageScreenshotOptions { FullPage = true });
        var results = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(results);
        await File.WriteAllBytesAsync(Path.Combine(results, name + ".png"), bytes);
        if (Environment.GetEnvironmentVariable("GITFLEET_SCREENSHOTS") == "1")
        {
            await File.WriteAllBytesAsync(RepositoryFiles.Path("docs", "images", name + ".png"), bytes);
        }
    }
}
