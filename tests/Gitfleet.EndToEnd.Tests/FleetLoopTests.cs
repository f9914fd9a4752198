using System.Diagnostics;
using System.Text.Json;
using Gitfleet.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Gitfleet.EndToEnd.Tests;

/// <summary>
/// Issue 5's end-to-end proof with real parts only: four Debian mender-client 3.4 daemons with the device package
/// (raspberrypi4, imx8-gateway, kiosk-x86; one on main, two on canary, one on production), the Gitfleet server
/// in-process reconciling a real git fleet repository through its git watcher, OS images built with
/// gitfleet-make-os-artifact (gitfleet-ab, with a health check), and a kiosk playbook pulled from a local git
/// repository and run by the playbook hook. The scenarios build on each other, so they run in order in one test.
/// </summary>
public sealed class FleetLoopTests(ITestOutputHelper output)
{
    private const string KioskV1 = "https://kiosk.example/v1";
    private const string KioskV2 = "https://kiosk.example/v2";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private static readonly Dictionary<string, string> Release1 = new()
    {
        ["raspberrypi4"] = "pi4-2026.01",
        ["imx8-gateway"] = "gateway-2026.01",
        ["kiosk-x86"] = "kiosk-2026.01",
    };

    private static readonly Dictionary<string, string> Release2 = new()
    {
        ["raspberrypi4"] = "pi4-2026.02",
        ["imx8-gateway"] = "gateway-2026.02",
        ["kiosk-x86"] = "kiosk-2026.02",
    };

    private const string BrokenGateway = "gateway-2026.03-broken";

    private readonly Stopwatch clock = Stopwatch.StartNew();

    [EndToEndFact]
    public async Task A_fleet_follows_its_git_repository_from_commit_to_device_and_back()
    {
        await using var fleet = await LiveFleet.StartAsync(
            [
                ("kiosk-pi4-main", "main", "raspberrypi4"),
                ("gateway-canary", "canary", "imx8-gateway"),
                ("kiosk-x86-canary", "canary", "kiosk-x86"),
                ("kiosk-pi4-production", "production", "raspberrypi4"),
            ],
            Release1,
            live => Files(live, Release1, KioskV1));
        Step("server, repositories and four mender daemons started");
        // The current release is on the server too, as in any real fleet: a device whose image the server has not
        // learnt yet is offered its own image (and answers already-installed).
        var uploads = Task.WhenAll(Release1.Concat(Release2).Select(i => fleet.UploadImageAsync(i.Value, i.Key))
            .Append(fleet.UploadImageAsync(BrokenGateway, "imx8-gateway", "--failing-health-check")));

        await uploads;
        Step("images built and uploaded");
        await fleet.AwaitAdmissionAsync(Patience);
        Step("devices admitted from their identities in git");
        await ConvergedAsync(fleet, "the declared fleet", KioskV1, Release1, fleet.Devices);
        Step("initial configuration applied on every device");

        // 1. A commit on main changes the kiosk URL: only the main device runs the playbook and reports it.
        var urlChange = Commit(fleet, Release1, KioskV2, "Kiosks: show the v2 page");
        var mainDevice = fleet["kiosk-pi4-main"];
        await ConvergedAsync(fleet, "the kiosk URL change on main", KioskV2, Release1, [mainDevice]);
        await NothingChangedAsync(fleet, fleet.Devices.Where(d => d.Branch != "main"), KioskV1, Release1);
        (await fleet.StatusAsync("main")).AppliedCommit!.Sha.ShouldBe(urlChange);
        Step("scenario 1: kiosk URL on main");
    }

    private static FleetFiles Files(LiveFleet fleet, IReadOnlyDictionary<string, string> images, string kioskUrl) => new()
    {
        Devices = fleet.Devices,
        Images = images,
        KioskUrl = kioskUrl,
        PlaybookUrl = fleet.Playbooks.Path,
        PlaybookVersion = fleet.PlaybookCommit,
    };

    /// <summary>Commits new fleet files to main (checked out); returns the commit.</summary>
    private static string Commit(LiveFleet fleet, IReadOnlyDictionary<string, string> images, string kioskUrl, string subject)
    {
        Files(fleet, images, kioskUrl).WriteTo(fleet.Repository);
        return fleet.Repository.Commit(subject);
    }

    /// <summary>
    /// Waits until each device runs its desired image, its playbook wrote the URL, it reported that configuration,
    /// and every stage of these devices is converged.
    /// </summary>
    private static async Task ConvergedAsync(LiveFleet fleet, string what, string kioskUrl, IReadOnlyDictionary<string, string> images, IEnumerable<LiveDevice> devices)
    {
        var list = devices.ToList();
        await fleet.EventuallyAsync($"{what}: {string.Join(", ", list.Select(d => d.Name))} converged", async () =>
        {
            foreach (var device in list)
            {
                var image = images[device.DeviceType];
                if (device.KioskUrl != kioskUrl || (device.ActiveImage ?? Release1[device.DeviceType]) != image)
                {
                    return false;
                }

                var reported = await fleet.ReportedConfigurationAsync(device);
                if (reported?.GetValueOrDefault("kiosk_url") != kioskUrl || reported.GetValueOrDefault("expected_os_image") != image)
                {
                    return false;
                }
            }

            foreach (var stage in list.Select(d => d.Branch).Distinct())
            {
                if (!(await fleet.StatusAsync(stage)).IsConverged)
                {
                    return false;
                }
            }

            return true;
        }, Patience);
    }

    private static async Task NothingChangedAsync(LiveFleet fleet, IEnumerable<LiveDevice> devices, string kioskUrl, IReadOnlyDictionary<string, string> images)
    {
        foreach (var device in devices)
        {
            device.KioskUrl.ShouldBe(kioskUrl, $"{device.Name} is on {device.Branch}: a commit elsewhere must not change it\n{device.LogTail()}");
            (device.ActiveImage ?? Release1[device.DeviceType]).ShouldBe(images[device.DeviceType], device.LogTail());
            (await fleet.ReportedConfigurationAsync(device))!["kiosk_url"].ShouldBe(kioskUrl);
        }
    }

    private void Step(string what) => output.WriteLine($"{clock.Elapsed.TotalSeconds,6:F1} s  {what}");
}
