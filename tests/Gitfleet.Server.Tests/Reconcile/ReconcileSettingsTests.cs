using Gitfleet.Server.Hosting;
using Gitfleet.TestSupport;

namespace Gitfleet.Server.Tests.Reconcile;

public sealed class ReconcileSettingsTests
{
    [Fact]
    public void Fleet_settings_come_from_flags_the_environment_and_the_config_file()
    {
        using var directory = new TempDirectory("gitfleet-settings");
        var config = directory.Write("server.json", """{"fleet_repo": "https://git.example.com/fleet.git", "fleet_branches": ["main", "canary"], "reconcile_interval": "30s"}""");
        var environment = new Dictionary<string, string> { ["GITFLEET_WEBHOOK_SECRET"] = "hook-secret", ["GITFLEET_FLEET_POLL_INTERVAL"] = "2m" };
        var options = ServerSettings.Load(
            new Dictionary<string, string> { ["data"] = directory.Path, ["fleet_branches"] = "main,canary,production" },
            name => environment.GetValueOrDefault(name),
            config);

        options.FleetRepository.ShouldBe("https://git.example.com/fleet.git");
        options.FleetBranches.ShouldBe(["main", "canary", "production"], "the flag wins over the file");
        options.FleetPollInterval.ShouldBe(TimeSpan.FromMinutes(2));
        options.WebhookSecret.ShouldBe("hook-secret");
        options.ReconcileInterval.ShouldBe(TimeSpan.FromSeconds(30));
        options.MaxTargetBytes.ShouldBe(1024L * 1024 * 1024);
    }

    [Theory]
    [InlineData("fleet_branches", "main", "needs fleet_repo")]
    [InlineData("fleet_repo", "/srv/fleet", "needs the branches")]
    public void A_watcher_needs_both_a_repository_and_branches(string key, string value, string message)
    {
        var error = Should.Throw<ServerSettingsException>(() => ServerSettings.Load(
            new Dictionary<string, string> { ["data"] = "/tmp/x", [key] = value }, _ => null, null));
        error.Message.ShouldContain(message);
    }

    [Fact]
    public void Branch_names_that_git_would_take_for_options_are_refused()
    {
        Should.Throw<ServerSettingsException>(() => ServerSettings.Load(
            new Dictionary<string, string> { ["data"] = "/tmp/x", ["fleet_repo"] = "/srv/fleet", ["fleet_branches"] = "main,--upload-pack=x" }, _ => null, null))
            .Message.ShouldContain("is not a branch name");
    }
}
