using System.Text.Json;
using Gitfleet.Cli.Tests.Hostile;

namespace Gitfleet.Cli.Tests;

/// <summary>One-shot commands run without dynamic PGO; the server restarts itself in place with it on (RuntimeProfile).</summary>
public sealed class RuntimeProfileTests
{
    [Theory]
    [InlineData("server")]
    [InlineData("simulate")]
    [InlineData("demo")]
    public void Long_running_commands_want_dynamic_pgo(string command)
    {
        RuntimeProfile.WantsPgo([command, "--data", "x"], _ => null).ShouldBeTrue();
        RuntimeProfile.WantsPgo(["--verbose", command], _ => null).ShouldBeTrue();
    }

    [Theory]
    [InlineData("plan", "--repo", "server")]
    [InlineData("validate")]
    [InlineData("--help")]
    public void One_shot_commands_do_not(params string[] args)
    {
        RuntimeProfile.WantsPgo(args, _ => null).ShouldBeFalse();
        RuntimeProfile.WantsPgo([], _ => null).ShouldBeFalse();
    }

    [Fact]
    public void A_setting_in_the_environment_is_the_users_and_is_kept()
    {
        RuntimeProfile.WantsPgo(["server"], name => name == "DOTNET_TieredPGO" ? "0" : null).ShouldBeFalse();
        RuntimeProfile.WantsPgo(["server"], name => name == "DOTNET_TieredPGO" ? "1" : null).ShouldBeFalse();
    }

    [Fact]
    public void The_server_alone_gets_a_larger_gen0_budget()
    {
        RuntimeProfile.SettingsFor(["server"], _ => null).ShouldContain(("DOTNET_GCgen0size", "0x4000000"));
        RuntimeProfile.SettingsFor(["simulate"], _ => null).ShouldBe([("DOTNET_TieredPGO", "1")]);
        RuntimeProfile.SettingsFor(["demo"], _ => null).ShouldBe([("DOTNET_TieredPGO", "1")]);
        RuntimeProfile.SettingsFor(["plan"], _ => null).ShouldBeEmpty();

        // A gen0 budget of the user's own is kept, and nothing else is added either (as for DOTNET_TieredPGO).
        RuntimeProfile.SettingsFor(["server"], name => name == "DOTNET_GCgen0size" ? "0x1000000" : null).ShouldBeEmpty();
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
