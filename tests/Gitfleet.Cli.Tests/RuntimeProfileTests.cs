using System.Text.Json;
using Gitfleet.Cli.Tests.Hostile;

namespace Gitfleet.Cli.Tests;

/// <summary>One-shot commands run without dynamic PGO; the server restarts itself in place with it on (RuntimeProfile).</summary>
public sealed class RuntimeProfileTests
{
    /// <summary>The framework-dependent build's runtimeconfig: dynamic PGO off, tiered compilation left on.</summary>
    private static object? PgoOff(string property) => property == "System.Runtime.TieredPGO" ? "false" : null;

    /// <summary>The release build's (scripts/publish-release.sh): tiered compilation off as well.</summary>
    private static object? PgoAndTieringOff(string property) =>
        property is "System.Runtime.TieredPGO" or "System.Runtime.TieredCompilation" ? "false" : null;

    [Theory]
    [InlineData("server")]
    [InlineData("simulate")]
    [InlineData("demo")]
    public void Long_running_commands_want_dynamic_pgo(string command)
    {
        RuntimeProfile.SettingsFor([command, "--data", "x"], _ => null, PgoOff).ShouldContain("DOTNET_TieredPGO=1");
        RuntimeProfile.SettingsFor(["--verbose", command], _ => null, PgoOff).ShouldContain("DOTNET_TieredPGO=1");
        RuntimeProfile.SettingsFor([command], _ => null, PgoOff).ShouldNotContain("DOTNET_TieredCompilation=1", "the framework-dependent build leaves tiering on");
    }

    [Theory]
    [InlineData("server")]
    [InlineData("simulate")]
    [InlineData("demo")]
    public void Long_running_commands_of_the_release_build_want_tiered_compilation_back(string command) =>
        RuntimeProfile.SettingsFor([command], _ => null, PgoAndTieringOff).Take(2)
            .ShouldBe(["DOTNET_TieredPGO=1", "DOTNET_TieredCompilation=1"]);

    [Theory]
    [InlineData("plan", "--repo", "server")]
    [InlineData("validate")]
    [InlineData("--help")]
    public void One_shot_commands_do_not(params string[] args)
    {
        RuntimeProfile.SettingsFor(args, _ => null, PgoAndTieringOff).ShouldBeEmpty();
        RuntimeProfile.SettingsFor([], _ => null, PgoAndTieringOff).ShouldBeEmpty();
    }

    [Fact]
    public void A_setting_the_runtimeconfig_leaves_on_is_not_restored() =>
        RuntimeProfile.SettingsFor(["simulate"], _ => null, _ => null).ShouldBeEmpty();

    [Fact]
    public void A_setting_in_the_environment_is_the_users_and_is_kept()
    {
        RuntimeProfile.SettingsFor(["simulate"], name => name == "DOTNET_TieredPGO" ? "0" : null, PgoOff).ShouldBeEmpty();
        RuntimeProfile.SettingsFor(["simulate"], name => name == "DOTNET_TieredPGO" ? "1" : null, PgoOff).ShouldBeEmpty();
        RuntimeProfile.SettingsFor(["simulate"], name => name == "DOTNET_TieredCompilation" ? "0" : null, PgoAndTieringOff)
            .ShouldBe(["DOTNET_TieredPGO=1"]);
        RuntimeProfile.SettingsFor(["server"], name => name == "DOTNET_TieredPGO" ? "0" : null, PgoOff).ShouldBe(["DOTNET_GCgen0size=0x4000000"]);
    }

    [Fact]
    public void The_server_alone_gets_a_larger_gen0_budget()
    {
        RuntimeProfile.SettingsFor(["server"], _ => null, PgoOff).ShouldBe(["DOTNET_TieredPGO=1", "DOTNET_GCgen0size=0x4000000"]);
        RuntimeProfile.SettingsFor(["simulate"], _ => null, PgoOff).ShouldBe(["DOTNET_TieredPGO=1"]);
        RuntimeProfile.SettingsFor(["demo"], _ => null, PgoOff).ShouldBe(["DOTNET_TieredPGO=1"]);
        RuntimeProfile.SettingsFor(["plan"], _ => null, PgoOff).ShouldBeEmpty();

        // A gen0 budget of the user's own is kept.
        RuntimeProfile.SettingsFor(["server"], name => name == "DOTNET_GCgen0size" ? "0x1000000" : null, PgoOff).ShouldBe(["DOTNET_TieredPGO=1"]);
    }

    [Fact]
    public void The_binarys_runtime_settings_are_for_one_shot_commands()
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "gitfleet.runtimeconfig.json")));
        config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties").GetProperty("System.Runtime.TieredPGO").GetBoolean().ShouldBeFalse();
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task The_server_process_replaces_itself_with_dynamic_pgo_on_and_keeps_its_pid_and_arguments()
    {
        await using var server = await ServerProcess.StartAsync();

        // The pid the test started is the one serving, now with the variable the runtime read at its (second) start.
        var environment = File.ReadAllText($"/proc/{server.Id}/environ").Split('\0');
        environment.ShouldContain("DOTNET_TieredPGO=1");
        environment.ShouldContain("DOTNET_GCgen0size=0x4000000");
        var arguments = File.ReadAllText($"/proc/{server.Id}/cmdline").Split('\0');
        arguments.ShouldContain("server");
        arguments.ShouldContain("--data");
        server.ShouldBeRunning("after it started listening");
    }
}
