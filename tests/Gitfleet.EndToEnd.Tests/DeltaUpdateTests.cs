using System.Diagnostics;
using Gitfleet.Artifacts;
using Gitfleet.Artifacts.Delta;
using Gitfleet.EndToEnd.Tests.Support;
using Gitfleet.Git;
using Gitfleet.TestSupport.Delivery;
using Xunit.Abstractions;

namespace Gitfleet.EndToEnd.Tests;

/// <summary>
/// Issue 14's delta updates with real parts: two Debian mender-client 3.4 daemons with the device package (one with
/// the gitfleet-delta module, one without), the Gitfleet server in-process generating deltas with xdelta3, downloads
/// served by nginx with signed links, and ext4 images in gitfleet-ab slots. The steps build on each other:
/// a delta that rebuilds the target byte for byte; the full image for the device without delta support; a corrupted
/// delta that fails before switching while the device keeps its image and says why; and the same release deployed
/// again as the full image, because a failed delta is never offered again.
/// </summary>
public sealed class DeltaUpdateTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly Stopwatch clock = Stopwatch.StartNew();

    [EndToEndFact]
    public async Task Devices_take_deltas_through_their_module_and_fall_back_to_full_images()
    {
        await using var fleet = await DeliveryFleet.StartAsync();
        var work = fleet.WorkDirectory;
        var images = new Dictionary<string, string>();
        for (var release = 1; release <= 3; release++)
        {
            var name = $"kiosk-2026.0{release}";
            images[name] = await OsImages.WriteImageAsync(work, name, release - 1);
            await fleet.UploadAsync(await OsImages.WriteArtifactAsync(work, name, DeliveryFleet.DeviceType, images[name], withHealthCheck: true));
        }

        var withDelta = await fleet.AddDeviceAsync("kiosk-with-delta", "kiosk-2026.01", images["kiosk-2026.01"], deltaModule: true);
        var withoutDelta = await fleet.AddDeviceAsync("kiosk-without-delta", "kiosk-2026.01", images["kiosk-2026.01"], deltaModule: false);
        await fleet.AdmitAsync(withDelta, announcesDeltas: true, Patience);
        await fleet.AdmitAsync(withoutDelta, announcesDeltas: false, Patience);
        Step("server, nginx and two mender daemons running kiosk-2026.01");

        // 1. The release reaches both: a delta for the device with the module, the full image for the other.
        var second = await fleet.DeployAsync("kiosk-2026.02", withDelta, withoutDelta);
        (await fleet.AwaitFinishedAsync(second, withDelta, Patience)).ShouldBe("success", await fleet.DiagnosticsAsync());
        (await fleet.AwaitFinishedAsync(second, withoutDelta, Patience)).ShouldBe("success", await fleet.DiagnosticsAsync());
        var delta = await fleet.AwaitDeltaAsync("kiosk-2026.01", "kiosk-2026.02", Patience);
        foreach (var device in new[] { withDelta, withoutDelta })
        {
            device.ActiveImage.ShouldBe("kiosk-2026.02");
            OsImages.Sha256(Path.Combine(device.Sandbox.AbRoot, "active", "rootfs", OsImages.ImageFile)).ShouldBe(OsImages.Sha256(images["kiosk-2026.02"]));
            await fleet.EventuallyAsync($"{device.Name} reporting kiosk-2026.02", async () => (await fleet.InventoryAsync(device))["artifact_name"] == "kiosk-2026.02", Patience);
        }

        var downloads = fleet.Downloads();
        var deltaFile = $"deltas/{delta.GetProperty("id").GetString()}.mender";
        downloads.ShouldContain(d => d.File == deltaFile && d.Status == 200, $"the delta device downloaded the delta from nginx: {string.Join(", ", downloads)}");
        var fullDownloads = downloads.Where(d => !d.File.StartsWith("deltas/", StringComparison.Ordinal)).ToList();
        fullDownloads.ShouldHaveSingleItem("only the device without delta support downloaded a full image");
        downloads.Single(d => d.File == deltaFile).Bytes.ShouldBeLessThan(fullDownloads[0].Bytes / 4);
        Step($"kiosk-2026.02: delta {downloads.Single(d => d.File == deltaFile).Bytes} bytes, full image {fullDownloads[0].Bytes} bytes");

        // 2. A corrupted delta (it rebuilds the wrong image, under a valid artifact): the module fails before switching.
        // The operator prepares the delta before the rollout (so no device waits); it is corrupted before any device sees it.
        await fleet.PrepareDeltaAsync("kiosk-2026.02", "kiosk-2026.03");
        var badDelta = await fleet.AwaitDeltaAsync("kiosk-2026.02", "kiosk-2026.03", Patience);
        await CorruptAsync(fleet, badDelta.GetProperty("id").GetString()!, images["kiosk-2026.02"], images["kiosk-2026.01"], images["kiosk-2026.03"]);
        var third = await fleet.DeployAsync("kiosk-2026.03", withDelta);
        (await fleet.AwaitFinishedAsync(third, withDelta, Patience)).ShouldBe("failure", await fleet.DiagnosticsAsync());
        var log = await fleet.LogAsync(third, withDelta);
        log.ShouldContain("the rebuilt image of 'kiosk-2026.03' does not match the artifact");
        log.ShouldContain("the running image stays active");
        withDelta.ActiveImage.ShouldBe("kiosk-2026.02");
        OsImages.Sha256(Path.Combine(withDelta.Sandbox.AbRoot, "active", "rootfs", OsImages.ImageFile)).ShouldBe(OsImages.Sha256(images["kiosk-2026.02"]));
        (await withDelta.Client.ShowProvidesAsync())["rootfs-image.version"].ShouldBe("kiosk-2026.02");
        Step("corrupted delta refused before the switch; the device keeps kiosk-2026.02 and said why");

        // 3. The release again: the failed delta is not offered again, the device gets the full image.
        var before = fleet.Downloads().Count;
        var again = await fleet.DeployAsync("kiosk-2026.03", withDelta);
        (await fleet.AwaitFinishedAsync(again, withDelta, Patience)).ShouldBe("success", await fleet.DiagnosticsAsync());
        fleet.Downloads().Skip(before).ShouldAllBe(d => !d.File.StartsWith("deltas/", StringComparison.Ordinal));
        withDelta.ActiveImage.ShouldBe("kiosk-2026.03");
        OsImages.Sha256(Path.Combine(withDelta.Sandbox.AbRoot, "active", "rootfs", OsImages.ImageFile)).ShouldBe(OsImages.Sha256(images["kiosk-2026.03"]));
        Step("kiosk-2026.03 installed from the full image");
    }

    /// <summary>
    /// Replaces a generated delta's file by a valid delta artifact that declares the real target but rebuilds another
    /// image (encoded from the base to <paramref name="wrong"/>): what a bug or a bad disk could serve.
    /// </summary>
    private static async Task CorruptAsync(DeliveryFleet fleet, string deltaId, string baseImage, string wrong, string target)
    {
        var vcdiff = Path.Combine(fleet.WorkDirectory, "wrong.vcdiff");
        var encoded = await ProcessRunner.RunAsync("xdelta3", ["-e", "-9", "-f", "-s", baseImage, wrong, vcdiff]);
        encoded.ExitCode.ShouldBe(0, encoded.StandardError);
        var path = Path.Combine(fleet.Server.DataDirectory, "artifacts", "deltas", deltaId + ".mender");
        await using var output = File.Create(path);
        await DeltaArtifact.WriteAsync(output, new DeltaArtifactDefinition
        {
            TargetName = "kiosk-2026.03",
            DeviceTypes = [DeliveryFleet.DeviceType],
            Delta = ArtifactFileSource.FromFile(vcdiff, OsImages.ImageFile + DeltaArtifact.DeltaFileSuffix),
            Provides = new Dictionary<string, string> { ["rootfs-image.version"] = "kiosk-2026.03" },
            ClearsProvides = ["artifact_group", "rootfs_image_checksum", "rootfs-image.*"],
            MetaData = new DeltaMetaData
            {
                Format = "xdelta3", Image = OsImages.ImageFile, DeltaFile = OsImages.ImageFile + DeltaArtifact.DeltaFileSuffix,
                BaseVersion = "kiosk-2026.02", BaseSha256 = OsImages.Sha256(baseImage), BaseSize = new FileInfo(baseImage).Length,
                TargetVersion = "kiosk-2026.03", TargetSha256 = OsImages.Sha256(target), TargetSize = new FileInfo(target).Length,
            },
        });
    }

    private void Step(string what) => output.WriteLine($"{clock.Elapsed.TotalSeconds,6:F1} s  {what}");
}
