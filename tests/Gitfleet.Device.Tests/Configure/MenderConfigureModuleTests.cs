using Gitfleet.Device.Tests.Support;
using Gitfleet.Git;

namespace Gitfleet.Device.Tests.Configure;

/// <summary>
/// The mender-configure module called as the Mender client calls it (state name + file tree), with its paths in a
/// sandbox. The running image comes from the real `mender show-provides` (empty database here) and artifact_info.
/// </summary>
public sealed class MenderConfigureModuleTests : IDisposable
{
    private const string Module = "mender-configure";
    private readonly DeviceSandbox sandbox = new();

    public MenderConfigureModuleTests()
    {
        sandbox.SetArtifactInfo("img-1");
        // Each hook appends "<name> <argument> <kiosk_url in the file>" to a log, proving order and argument.
        const string Recorder = "#!/bin/sh\nprintf '%s %s %s\\n' \"$(basename \"$0\")\" \"$1\" \"$(grep -o 'kiosk_url\": *\"[^\"]*' \"$1\" | sed 's/.*\"//')\" >> \"$(dirname \"$0\")/../hooks.log\"\n";
        sandbox.WriteHook("20-second", Recorder);
        sandbox.WriteHook("10-first", Recorder);
        sandbox.WriteHook("15-not-executable", Recorder, executable: false);
        sandbox.WriteHook(".hidden", Recorder);
    }

    private string HookLog => sandbox.Combine("hooks.log");

    [Fact]
    public async Task Answers_the_capability_queries_like_Mender_s_module()
    {
        var tree = ModuleTree.Create(sandbox, Module, "cfg-1", Config("img-1", "https://a"));
        (await Run("SupportsRollback", tree)).StandardOutput.Trim().ShouldBe("Yes");
        (await Run("NeedsArtifactReboot", tree)).StandardOutput.Trim().ShouldBe("No");
        var unknown = await Run("SomeFutureState", tree);
        unknown.ExitCode.ShouldBe(0);
        unknown.StandardOutput.ShouldBeEmpty();
    }

    [Fact]
    public async Task Install_writes_the_configuration_and_runs_the_executable_hooks_in_lexical_order()
    {
        var metaData = Config("img-1", "https://kiosk.example");
        var tree = ModuleTree.Create(sandbox, Module, "cfg-1", metaData);

        var install = await Run("ArtifactInstall", tree);

        install.ExitCode.ShouldBe(0, install.StandardError);
        File.ReadAllText(sandbox.ConfigFile).ShouldBe(metaData);
        File.GetUnixFileMode(sandbox.ConfigFile).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Directory.GetFiles(Path.GetDirectoryName(sandbox.ConfigFile)!).ShouldBe([sandbox.ConfigFile]); // no temp files left
        File.ReadAllLines(HookLog).ShouldBe([
            $"10-first {sandbox.ConfigFile} https://kiosk.example",
            $"20-second {sandbox.ConfigFile} https://kiosk.example",
        ]);
        install.StandardError.ShouldContain("skipping");
        (await Run("NeedsArtifactReboot", tree)).StandardOutput.Trim().ShouldBe("No");
    }

    [Fact]
    public async Task A_hook_exiting_20_succeeds_and_asks_for_an_automatic_reboot()
    {
        sandbox.WriteHook("30-reboot", "#!/bin/sh\nexit 20\n");
        var tree = ModuleTree.Create(sandbox, Module, "cfg-1", Config("img-1", "https://a"));

        (await Run("ArtifactInstall", tree)).ExitCode.ShouldBe(0);

        (await Run("NeedsArtifactReboot", tree)).StandardOutput.Trim().ShouldBe("Automatic");
    }

    [Fact]
    public async Task A_failing_hook_fails_the_install_and_rollback_restores_and_reapplies_the_previous_configuration()
    {
        var previous = Config("img-1", "https://old");
        await File.WriteAllTextAsync(sandbox.ConfigFile, previous);
        sandbox.WriteHook("15-fails-on-new", "#!/bin/sh\necho 'cannot apply this' >&2\ngrep -q new \"$1\" && exit 3\nexit 0\n");
        var tree = ModuleTree.Create(sandbox, Module, "cfg-2", Config("img-1", "https://new"));

        var install = await Run("ArtifactInstall", tree);

        install.ExitCode.ShouldNotBe(0);
        install.StandardError.ShouldContain("cannot apply this");
        install.StandardError.ShouldContain("15-fails-on-new failed with exit code 3");
        File.ReadAllLines(HookLog).ShouldBe([$"10-first {sandbox.ConfigFile} https://new"]); // 20-second never ran

        var rollback = await Run("ArtifactRollback", tree);

        rollback.ExitCode.ShouldBe(0, rollback.StandardError);
        File.ReadAllText(sandbox.ConfigFile).ShouldBe(previous);
        File.ReadAllLines(HookLog).Skip(1).ShouldBe([
            $"10-first {sandbox.ConfigFile} https://old",
            $"20-second {sandbox.ConfigFile} https://old",
        ]);
    }

    [Fact]
    public async Task Rollback_of_a_first_configuration_removes_it()
    {
        sandbox.WriteHook("15-fails", "#!/bin/sh\nexit 1\n");
        var tree = ModuleTree.Create(sandbox, Module, "cfg-1", Config("img-1", "https://a"));
        (await Run("ArtifactInstall", tree)).ExitCode.ShouldNotBe(0);
        File.Exists(sandbox.ConfigFile).ShouldBeTrue();

        (await Run("ArtifactRollback", tree)).ExitCode.ShouldBe(0);

        File.Exists(sandbox.ConfigFile).ShouldBeFalse();
    }

    [Fact]
    public async Task Interlock_refuses_a_configuration_written_for_another_image_in_one_line_naming_both()
    {
        var previous = Config("img-1", "https://old");
        await File.WriteAllTextAsync(sandbox.ConfigFile, previous);
        var tree = ModuleTree.Create(sandbox, Module, "cfg-2", Config("img-2", "https://new"));

        var install = await Run("ArtifactInstall", tree);

        install.ExitCode.ShouldNotBe(0);
        var refusal = install.StandardError.Split('\n').Where(line => line.Contains("img-2", StringComparison.Ordinal)).ShouldHaveSingleItem();
        refusal.ShouldContain("'img-1'");
        refusal.ShouldContain("expected_os_image");
        File.ReadAllText(sandbox.ConfigFile).ShouldBe(previous);
        File.Exists(HookLog).ShouldBeFalse();

        // The client then calls ArtifactRollback: nothing was changed, so nothing is re-applied.
        (await Run("ArtifactRollback", tree)).ExitCode.ShouldBe(0);
        File.ReadAllText(sandbox.ConfigFile).ShouldBe(previous);
        File.Exists(HookLog).ShouldBeFalse();
    }

    [Fact]
    public async Task Interlock_refuses_when_the_running_image_cannot_be_determined()
    {
        File.Delete(sandbox.ArtifactInfo);
        var tree = ModuleTree.Create(sandbox, Module, "cfg-1", Config("img-1", "https://a"));

        var install = await Run("ArtifactInstall", tree);

        install.ExitCode.ShouldNotBe(0);
        install.StandardError.ShouldContain("running OS image cannot be determined");
        File.Exists(sandbox.ConfigFile).ShouldBeFalse();
    }

    [Fact]
    public async Task Without_expected_os_image_there_is_no_interlock()
    {
        File.Delete(sandbox.ArtifactInfo);
        var tree = ModuleTree.Create(sandbox, Module, "cfg-1", """{"kiosk_url":"https://a"}""");

        (await Run("ArtifactInstall", tree)).ExitCode.ShouldBe(0);

        File.Exists(sandbox.ConfigFile).ShouldBeTrue();
    }

    [Theory]
    [InlineData("[1,2]", "must be a JSON object")]
    [InlineData("""{"kiosk_url": 5}""", "the value of 'kiosk_url' must be a string")]
    [InlineData("{not json", "is not valid JSON")]
    [InlineData(null, "header/meta-data is missing")]
    public async Task Bad_meta_data_is_refused_with_a_clear_message_and_the_old_configuration_stays(string? metaData, string message)
    {
        var previous = Config("img-1", "https://old");
        await File.WriteAllTextAsync(sandbox.ConfigFile, previous);
        var tree = ModuleTree.Create(sandbox, Module, "cfg-2", metaData);

        var install = await Run("ArtifactInstall", tree);

        install.ExitCode.ShouldNotBe(0);
        install.StandardError.ShouldContain(message);
        install.StandardError.ShouldNotContain("Traceback");
        File.ReadAllText(sandbox.ConfigFile).ShouldBe(previous);
    }

    [Fact]
    public async Task Apply_only_reapplies_the_current_configuration()
    {
        await File.WriteAllTextAsync(sandbox.ConfigFile, Config("img-1", "https://current"));

        var apply = await sandbox.RunAsync(DeviceSources.Module(Module), ["--apply-only"]);

        apply.ExitCode.ShouldBe(0, apply.StandardError);
        File.ReadAllLines(HookLog).ShouldBe([
            $"10-first {sandbox.ConfigFile} https://current",
            $"20-second {sandbox.ConfigFile} https://current",
        ]);
    }

    [Fact]
    public async Task Apply_only_honours_the_interlock()
    {
        await File.WriteAllTextAsync(sandbox.ConfigFile, Config("img-0", "https://current"));

        var apply = await sandbox.RunAsync(DeviceSources.Module(Module), ["--apply-only"]);

        apply.ExitCode.ShouldNotBe(0);
        apply.StandardError.ShouldContain("'img-0' but this device runs 'img-1'");
        File.Exists(HookLog).ShouldBeFalse();
    }

    public void Dispose() => sandbox.Dispose();

    private static string Config(string image, string kioskUrl) =>
        $$"""{"expected_os_image": "{{image}}", "subscribed_branch": "main", "kiosk_url": "{{kioskUrl}}"}""";

    private Task<ProcessResult> Run(string state, string tree) => sandbox.RunAsync(DeviceSources.Module(Module), [state, tree]);
}
