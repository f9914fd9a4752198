using System.Diagnostics;
using System.Text.Json;
using Gitfleet.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Gitfleet.EndToEnd.Tests;

/// <summary>
/// Issue 5's end-to-end proof with real parts only: four Debian mender-client 3.4 daemons with the device package
/// (raspberrypi4, imx8-gateway, kiosk-x86; one on main, two on canary, one on production), the Gitfleet server
/// in-process reconciling a real git fleet repository (main and canary pulled by its git watcher, production pushed
/// by `gitfleet apply --mode run` as the seeds' CI job does), OS images built with
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

        // The current release is on the server too, as in any real fleet: a device planned before its first
        // inventory arrived is offered its own image (and answers already-installed).
        await Task.WhenAll(Release1.Concat(Release2).Select(i => fleet.UploadImageAsync(i.Value, i.Key))
            .Append(fleet.UploadImageAsync(BrokenGateway, "imx8-gateway", "--failing-health-check")));
        Step("images built and uploaded");

        // main and canary admit their devices from the identities in git; production's device is accepted by an
        // operator through the management API, and its stage applied by the CI job.
        var production = fleet.Devices.Where(d => d.Branch == "production").ToList();
        foreach (var device in production)
        {
            await fleet.AcceptAsync(device, Patience);
        }

        await fleet.AwaitAdmissionAsync(Patience);
        Step("devices admitted (main and canary from their identities in git, production by the operator)");
        foreach (var device in production)
        {
            await fleet.AwaitInventoryAsync(device, Patience); // the CI job runs once the device registered
        }

        await fleet.ApplyAsync("production");
        await ConvergedAsync(fleet, "the declared fleet", KioskV1, Release1, fleet.Devices);
        Step("initial configuration applied on every device");

        // 1. A commit on main changes the kiosk URL: only the main device runs the playbook and reports it.
        var urlChange = Commit(fleet, Release1, KioskV2, "Kiosks: show the v2 page");
        var mainDevice = fleet["kiosk-pi4-main"];
        await ConvergedAsync(fleet, "the kiosk URL change on main", KioskV2, Release1, [mainDevice]);
        await NothingChangedAsync(fleet, fleet.Devices.Where(d => d.Branch != "main"), KioskV1, Release1);
        (await fleet.StatusAsync("main")).AppliedCommit!.Sha.ShouldBe(urlChange);
        (await fleet.StatusAsync("canary")).AppliedCommit!.Sha.ShouldBe(fleet.DeclaredCommit, "canary did not get the commit");
        (await fleet.StatusAsync("production")).AppliedCommit!.Sha.ShouldBe(fleet.DeclaredCommit);
        Step("scenario 1: kiosk URL on main");

        // 2. An OS image bump, promoted main → canary → production by merges, reaches each stage in turn.
        var canary = fleet.Devices.Where(d => d.Branch == "canary").ToList();
        var bump = Commit(fleet, Release2, KioskV2, "Release 2026.02 for every device type");
        await ConvergedAsync(fleet, "release 2026.02 on main", KioskV2, Release2, [mainDevice]);
        await NothingChangedAsync(fleet, [.. canary, .. production], KioskV1, Release1);
        (await fleet.StatusAsync("canary")).AppliedCommit!.Sha.ShouldBe(fleet.DeclaredCommit, "canary waits for its merge");
        Step("scenario 2: release 2026.02 on main");
        var toCanary = Promote(fleet, "main", "canary", "Promote release 2026.02 to canary");
        await ConvergedAsync(fleet, "release 2026.02 on canary", KioskV2, Release2, canary);
        await NothingChangedAsync(fleet, production, KioskV1, Release1);
        (await fleet.StatusAsync("production")).AppliedCommit!.Sha.ShouldBe(fleet.DeclaredCommit, "production waits for its merge");
        var canaryGate = await fleet.CliAsync("gate", "--branch", "canary", "--commit", toCanary);
        canaryGate.ExitCode.ShouldBe(0, canaryGate.Output);
        Step("scenario 2: release 2026.02 on canary, gate passed");
        var toProduction = Promote(fleet, "canary", "production", "Promote release 2026.02 to production");
        await fleet.ApplyAsync("production");
        await ConvergedAsync(fleet, "release 2026.02 on production", KioskV2, Release2, production);
        foreach (var device in fleet.Devices)
        {
            (await fleet.InventoryAsync(device))["rootfs-image.version"].ShouldBe(Release2[device.DeviceType], $"the server's view of {device.Name}");
        }

        Step("scenario 2: release 2026.02 on production");

        // 3. A gateway image whose health check fails: main has no gateway, canary's rolls back and fails the gate.
        var gateway = fleet["gateway-canary"];
        var release3 = new Dictionary<string, string>(Release2) { ["imx8-gateway"] = BrokenGateway };
        var brokenCommit = Commit(fleet, release3, KioskV2, "Gateways: release 2026.03");
        await fleet.EventuallyAsync("main converged on the gateway release (it has no gateway)", async () =>
            await fleet.StatusAsync("main") is { IsConverged: true } main && main.AppliedCommit?.Sha == brokenCommit, Patience);
        var brokenOnCanary = Promote(fleet, "main", "canary", "Promote gateway release 2026.03 to canary");
        await fleet.EventuallyAsync("the gateway's update failed on canary, with the reason from its log", async () =>
            await fleet.StatusAsync("canary") is { Devices.Failed: 1 } status && status.AppliedCommit?.Sha == brokenOnCanary
            && status.Issues.Any(i => i.Device == gateway.Id && i.Reason.Contains("health check", StringComparison.Ordinal)), Patience);
        gateway.ActiveImage.ShouldBe(Release2["imx8-gateway"], "the health check failed: the old slot is active again\n" + gateway.LogTail());
        gateway.KioskUrl.ShouldBe(KioskV2);
        var failed = (await fleet.HistoryAsync(gateway)).First(e => e.GetProperty("kind").GetString() == "os");
        failed.GetProperty("image").GetString().ShouldBe(BrokenGateway);
        failed.GetProperty("status").GetString().ShouldBe("failure");
        var gate = await fleet.CliAsync("gate", "--branch", "canary", "--commit", brokenOnCanary);
        output.WriteLine(gate.Output);
        gate.ExitCode.ShouldNotBe(0, gate.Output);
        gate.Output.ShouldContain($"device {gateway.Id} failed");
        gate.Output.ShouldContain(BrokenGateway);
        gate.Output.ShouldContain($"health check", Case.Sensitive, "the reason is the module's own error line");
        (await fleet.DeploymentLogAsync(failed.GetProperty("deployment_id").GetString()!, gateway)).ShouldContain("failing on purpose");
        (await fleet.StatusAsync("production")).AppliedCommit!.Sha.ShouldBe(toProduction, "the gate kept production from being promoted");
        await NothingChangedAsync(fleet, production, KioskV2, Release2);
        Step("scenario 3: the broken gateway image rolled back on canary, gate failed");

        // The fix goes the same way: a revert on main, promoted to canary.
        fleet.Repository.Git("revert", "--no-edit", brokenCommit);
        var fixedOnCanary = Promote(fleet, "main", "canary", "Promote the gateway revert to canary");
        await ConvergedAsync(fleet, "canary back on release 2026.02", KioskV2, Release2, canary);

        // 4. Every stage converged, and every change in every device's history traces to its commit.
        var status = await fleet.CliAsync("status", "--json");
        status.ExitCode.ShouldBe(0, status.Output);
        var stages = JsonDocument.Parse(status.Output).RootElement.EnumerateArray().ToDictionary(s => s.GetProperty("branch").GetString()!);
        stages.Keys.ShouldBe(LiveFleet.Stages, ignoreOrder: true);
        stages.Values.ShouldAllBe(s => s.GetProperty("is_converged").GetBoolean());
        stages["canary"].GetProperty("applied_commit").GetProperty("sha").GetString().ShouldBe(fixedOnCanary);
        foreach (var device in fleet.Devices)
        {
            await TracesToCommitsAsync(fleet, device);
        }

        await HasChangeAsync(fleet, mainDevice, "configuration", urlChange, e => e.GetProperty("configuration").GetProperty("kiosk_url").GetString() == KioskV2);
        await HasChangeAsync(fleet, mainDevice, "os", bump, e => e.GetProperty("image").GetString() == Release2["raspberrypi4"]);
        foreach (var device in canary)
        {
            await HasChangeAsync(fleet, device, "os", toCanary, e => e.GetProperty("image").GetString() == Release2[device.DeviceType]);
        }

        await HasChangeAsync(fleet, gateway, "os", brokenOnCanary, e => e.GetProperty("status").GetString() == "failure");
        foreach (var device in production)
        {
            await HasChangeAsync(fleet, device, "os", toProduction, e => e.GetProperty("image").GetString() == Release2[device.DeviceType]);
        }

        var history = await fleet.CliAsync("history", mainDevice.Id!);
        history.ExitCode.ShouldBe(0, history.Output);
        history.Output.ShouldContain("Kiosks: show the v2 page");
        Step("scenario 4: every stage converged, every change traced to its commit");
    }

    /// <summary>Merges <paramref name="source"/> into <paramref name="target"/> (the promotion); returns the merge commit.</summary>
    private static string Promote(LiveFleet fleet, string source, string target, string subject)
    {
        fleet.Repository.Checkout(target);
        try
        {
            return fleet.Repository.Merge(source, subject);
        }
        finally
        {
            fleet.Repository.Checkout("main");
        }
    }

    /// <summary>Every entry of the device's history names its stage, a commit of that stage and the commit's subject.</summary>
    private static async Task TracesToCommitsAsync(LiveFleet fleet, LiveDevice device)
    {
        var history = await fleet.HistoryAsync(device);
        history.ShouldNotBeEmpty($"{device.Name} has no history");
        foreach (var entry in history)
        {
            var what = $"{device.Name}: {entry.GetRawText()}";
            var trace = entry.GetProperty("trace");
            trace.ValueKind.ShouldBe(JsonValueKind.Object, what);
            trace.GetProperty("branch").GetString().ShouldBe(device.Branch, what);
            var commit = trace.GetProperty("commit").GetString()!;
            fleet.Repository.Git("log", "-1", "--format=%s", commit).Trim().ShouldBe(trace.GetProperty("subject").GetString(), what);
            fleet.Repository.Git("branch", "--contains", commit, "--format=%(refname:short)").Split('\n').ShouldContain(device.Branch, what);
        }
    }

    private static async Task HasChangeAsync(LiveFleet fleet, LiveDevice device, string kind, string commit, Func<JsonElement, bool> matches)
    {
        var history = await fleet.HistoryAsync(device);
        history.ShouldContain(
            e => e.GetProperty("kind").GetString() == kind && e.GetProperty("trace").GetProperty("commit").GetString() == commit && matches(e),
            $"{device.Name}: no {kind} change from {commit[..12]} ({fleet.Repository.Git("log", "-1", "--format=%s", commit).Trim()}) in\n" +
            string.Join('\n', history.Select(e => e.GetRawText())));
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
