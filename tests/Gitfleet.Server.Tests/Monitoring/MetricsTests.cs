using System.Text.RegularExpressions;
using Gitfleet.Server.Tests.Support;

namespace Gitfleet.Server.Tests.Monitoring;

/// <summary>What /metrics says about a real rollout that paused at its failure threshold, checked by promtool.</summary>
public sealed partial class MetricsTests : IAsyncLifetime
{
    private ReconcileHarness fleet = null!;

    public async Task InitializeAsync() => fleet = await ReconcileHarness.StartAsync();

    public async Task DisposeAsync() => await fleet.DisposeAsync();

    [Fact]
    public async Task A_paused_rollout_shows_per_wave_states_failure_classes_budget_durations_and_bytes_and_the_scrape_lints()
    {
        var devices = new List<FleetDevice>();
        for (var i = 0; i < 4; i++)
        {
            devices.Add(await fleet.DeviceAsync());
        }

        await fleet.UploadImageAsync("image-2");
        // Which two devices make wave 1 depends on their (random) ids, so three of the four fail: wave 1 always
        // holds at least one failing device, whichever two it picks.
        for (var i = 0; i < 3; i++)
        {
            devices[i].Fails = name => name == "image-2";
        }

        fleet.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["production"] = devices }, "image-2",
            settings: "branches:\n  production:\n    rollout:\n      waves: [50%, 100%]\n      failureThreshold: 25%\n");
        fleet.Repository.Git("branch", "-f", "production", fleet.Repository.Commit("image-2 for production"));
        await fleet.ReconcileAsync("production");
        foreach (var device in devices)
        {
            await device.ConvergeAsync();
        }

        await fleet.RunAsync();
        var status = await fleet.StatusAsync("production");
        using var http = fleet.Server.Anonymous();
        var text = await http.GetStringAsync("/metrics");

        var lint = await AlertRuleTests.RunAsync(text, "check", "metrics");
        lint.ExitCode.ShouldBe(0, lint.Output);

        Value(text, "gitfleet_leader").ShouldBe(1);
        Value(text, "gitfleet_ready").ShouldBe(1);
        Value(text, "gitfleet_devices", "status=\"accepted\"").ShouldBe(4);
        Value(text, "gitfleet_branch_devices", "branch=\"production\",state=\"total\"").ShouldBe(status.Devices.Total);
        Value(text, "gitfleet_branch_devices", "branch=\"production\",state=\"failed\"").ShouldBe(status.Devices.Failed);
        Value(text, "gitfleet_rollout_phase", "branch=\"production\",phase=\"paused\"").ShouldBe(status.Rollout!.Phase == Core.Rollouts.RolloutPhase.Paused ? 1 : 0);
        Value(text, "gitfleet_rollout_failure_budget_ratio", "branch=\"production\"").ShouldBe(0.25);
        Value(text, "gitfleet_rollout_waves", "branch=\"production\"").ShouldBe(2);
        var failed = Sum(text, "gitfleet_rollout_devices", "branch=\"production\"", "state=\"failed\"");
        failed.ShouldBe(status.Devices.Failed);
        failed.ShouldBeGreaterThan(0, "wave 1 holds two of the four devices, and three of the four are set to fail");
        Value(text, "gitfleet_rollout_failures", "branch=\"production\",reason_class=\"health-check\"").ShouldBe(failed, "the devices' log says the health check failed");
        Sum(text, "gitfleet_rollout_devices", "branch=\"production\"", "wave=\"1\"").ShouldBe(2, "wave 1 is 50% of 4 devices");
        Value(text, "gitfleet_deployment_duration_seconds_count", "kind=\"os\",outcome=\"failure\"").ShouldBe(failed);
        Value(text, "gitfleet_artifact_bytes_served_total").ShouldBeGreaterThan(8192, "each offered device downloaded its image");
        Value(text, "gitfleet_store_write_duration_seconds_count", Support.TestServer.OnPostgres ? "store=\"postgres\"" : "store=\"sqlite\"").ShouldBeGreaterThan(0);
        Value(text, "gitfleet_branch_condition", "branch=\"production\",condition=\"Stalled\"").ShouldBe(0);
        text.ShouldContain("process_cpu_seconds_total");

        // Every metric the alert rules read is one the server exports.
        var rules = File.ReadAllText(RepositoryFiles.Path("docs", "monitoring", "gitfleet-alerts.yml"));
        foreach (var name in MetricName().Matches(rules).Select(m => m.Value).Distinct())
        {
            text.ShouldContain("\n" + name, customMessage: $"the alert rules read {name}, which /metrics does not export");
        }
    }

    private static double Value(string text, string name, string labels = "") =>
        Samples(text, name).Where(s => s.Labels == labels).Select(s => s.Value).DefaultIfEmpty(double.NaN).Single();

    private static double Sum(string text, string name, params string[] labelParts) =>
        Samples(text, name).Where(s => labelParts.All(p => s.Labels.Contains(p, StringComparison.Ordinal))).Sum(s => s.Value);

    private static IEnumerable<(string Labels, double Value)> Samples(string text, string name) =>
        Sample().Matches(text).Where(m => m.Groups["name"].Value == name)
            .Select(m => (m.Groups["labels"].Value, double.Parse(m.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture)));

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?<labels>[^}]*)\})? (?<value>\S+)$", RegexOptions.Multiline)]
    private static partial Regex Sample();

    [GeneratedRegex(@"\bgitfleet_[a-z_]+")]
    private static partial Regex MetricName();
}
