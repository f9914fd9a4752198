using System.Globalization;
using System.Text.Json;
using Gitfleet.Device.Tests.Support;
using Gitfleet.Git;
using Gitfleet.TestSupport.Delivery;

namespace Gitfleet.Device.Tests.OsUpdate;

/// <summary>
/// The gitfleet-delta module with real xdelta3 and ext4 images: it rebuilds the target from the running slot's image
/// into the inactive slot, checks the base before and the result after, and on any mismatch leaves the running slot
/// active and the inactive one untouched, saying why; the later states are gitfleet-ab's.
/// </summary>
public sealed class GitfleetDeltaModuleTests : IAsyncLifetime
{
    private const string Module = "gitfleet-delta";
    private readonly DeviceSandbox sandbox = new();
    private string baseImage = "";
    private string targetImage = "";
    private string delta = "";

    private string ActiveSlot => new FileInfo(Path.Combine(sandbox.AbRoot, "active")).LinkTarget!;

    public async Task InitializeAsync()
    {
        baseImage = await OsImages.WriteImageAsync(sandbox.Root, "img-1", release: 0);
        targetImage = await OsImages.WriteImageAsync(sandbox.Root, "img-2", release: 1);
        delta = sandbox.Combine("img-1-to-img-2.vcdiff");
        var encoded = await ProcessRunner.RunAsync("xdelta3", ["-e", "-9", "-S", "djw", "-f", "-s", baseImage, targetImage, delta]);
        encoded.ExitCode.ShouldBe(0, encoded.StandardError);

        // The device runs img-1 in slot a, installed from a full image artifact.
        Directory.CreateDirectory(Path.Combine(sandbox.AbRoot, "a", "rootfs"));
        File.Copy(baseImage, Path.Combine(sandbox.AbRoot, "a", "rootfs", OsImages.ImageFile));
        await File.WriteAllTextAsync(Path.Combine(sandbox.AbRoot, "a", "image"), "img-1\n");
        File.CreateSymbolicLink(Path.Combine(sandbox.AbRoot, "active"), "a");
    }

    public Task DisposeAsync()
    {
        sandbox.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Rebuilds_the_target_into_the_inactive_slot_and_goes_through_the_A_B_states()
    {
        var tree = DeltaTree();
        (await Run("SupportsRollback", tree)).StandardOutput.Trim().ShouldBe("Yes");

        var install = await Run("ArtifactInstall", tree);

        install.ExitCode.ShouldBe(0, install.StandardError);
        install.StandardError.ShouldContain("rebuilt 'img-2' from 'img-1'");
        ActiveSlot.ShouldBe("a");
        OsImages.Sha256(Path.Combine(sandbox.AbRoot, "b", "rootfs", OsImages.ImageFile)).ShouldBe(OsImages.Sha256(targetImage));
        File.ReadAllText(Path.Combine(sandbox.AbRoot, "b", "image")).Trim().ShouldBe("img-2");
        File.Exists(Path.Combine(sandbox.AbRoot, "b", "health-check")).ShouldBeTrue("the target's health check rides along");

        foreach (var state in new[] { "ArtifactReboot", "ArtifactVerifyReboot", "ArtifactCommit" })
        {
            var result = await Run(state, tree);
            result.ExitCode.ShouldBe(0, $"{state}: {result.StandardError}");
        }

        ActiveSlot.ShouldBe("b");
    }

    [Fact]
    public async Task A_result_that_does_not_match_the_declared_checksum_fails_before_anything_switches()
    {
        var install = await Run("ArtifactInstall", DeltaTree(meta => meta["target_sha256"] = new string('0', 64)));

        install.ExitCode.ShouldNotBe(0);
        install.StandardError.ShouldContain("the rebuilt image of 'img-2' does not match the artifact");
        install.StandardError.ShouldContain("the running image stays active");
        NothingChanged();
    }

    [Fact]
    public async Task A_device_that_does_not_run_the_base_fails_before_writing()
    {
        await using (var running = File.OpenWrite(Path.Combine(sandbox.AbRoot, "a", "rootfs", OsImages.ImageFile)))
        {
            running.Position = 1024 * 1024;
            running.WriteByte(0x42); // someone wrote to the read-only root file system
        }

        var install = await Run("ArtifactInstall", DeltaTree());

        install.ExitCode.ShouldNotBe(0);
        install.StandardError.ShouldContain("the running image in slot a is not the delta's base 'img-1'");
        NothingChanged();
    }

    [Fact]
    public async Task A_corrupted_delta_fails_with_xdelta3_s_reason()
    {
        var corrupted = sandbox.Combine("corrupted.vcdiff");
        var bytes = await File.ReadAllBytesAsync(delta);
        for (var i = bytes.Length / 2; i < bytes.Length / 2 + 64; i++)
        {
            bytes[i] ^= 0xff;
        }

        await File.WriteAllBytesAsync(corrupted, bytes);

        var install = await Run("ArtifactInstall", DeltaTree(deltaFile: corrupted));

        install.ExitCode.ShouldNotBe(0);
        install.StandardError.ShouldMatch("xdelta3 could not apply the delta|does not match the artifact");
        NothingChanged();
    }

    [Theory]
    [InlineData("format", "bsdiff", "delta format 'bsdiff' is not supported by this device")]
    [InlineData("image", "../etc/shadow", "is not a plain file name")]
    [InlineData("base_sha256", "", "lacks base_sha256")]
    public async Task Bad_meta_data_is_refused_with_the_reason(string key, string value, string message)
    {
        var install = await Run("ArtifactInstall", DeltaTree(meta => meta[key] = value));

        install.ExitCode.ShouldNotBe(0);
        install.StandardError.ShouldContain(message);
        NothingChanged();
    }

    private void NothingChanged()
    {
        ActiveSlot.ShouldBe("a");
        Directory.Exists(Path.Combine(sandbox.AbRoot, "b")).ShouldBeFalse();
        Directory.Exists(Path.Combine(sandbox.AbRoot, ".b.new")).ShouldBeFalse();
        File.Exists(Path.Combine(sandbox.AbRoot, "pending.json")).ShouldBeFalse();
    }

    /// <summary>The file tree the client prepares for a delta artifact as the server writes it.</summary>
    private string DeltaTree(Action<Dictionary<string, string>>? change = null, string? deltaFile = null)
    {
        var meta = new Dictionary<string, string>
        {
            ["format"] = "xdelta3",
            ["image"] = OsImages.ImageFile,
            ["delta_file"] = OsImages.ImageFile + ".vcdiff",
            ["base_version"] = "img-1",
            ["base_sha256"] = OsImages.Sha256(baseImage),
            ["base_size"] = new FileInfo(baseImage).Length.ToString(CultureInfo.InvariantCulture),
            ["target_version"] = "img-2",
            ["target_sha256"] = OsImages.Sha256(targetImage),
            ["target_size"] = new FileInfo(targetImage).Length.ToString(CultureInfo.InvariantCulture),
        };
        change?.Invoke(meta);
        var health = DeviceSandbox.WriteScript(sandbox.Combine("health-check"), "#!/bin/sh\nexit 0\n");
        return ModuleTree.Create(sandbox, Module, "img-2", JsonSerializer.Serialize(meta),
            provides: new Dictionary<string, string> { ["rootfs-image.version"] = "img-2" },
            files: new Dictionary<string, string> { [OsImages.ImageFile + ".vcdiff"] = deltaFile ?? delta, ["health-check"] = health });
    }

    private Task<ProcessResult> Run(string state, string tree) => sandbox.RunAsync(DeviceSources.Module(Module), [state, tree]);
}
