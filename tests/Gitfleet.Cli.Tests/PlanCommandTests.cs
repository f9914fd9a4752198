using System.Text.Json;
using Gitfleet.Core.Facts;
using Gitfleet.TestSupport;

namespace Gitfleet.Cli.Tests;

public sealed class PlanCommandTests : IDisposable
{
    private const string Kiosk = "3fb4632b-96b9-475d-ac89-02255bd15b6f";
    private readonly GitTestRepository repo = SampleFleetRepository.Create();

    private Task<CliResult> Run(params string[] args) => CliRunner.RunAsync(repo.Path, CliRunner.SampleSecrets, args);

    [Fact]
    public async Task Production_plan_matches_the_golden_output()
    {
        var result = await Run("plan", "--branch", "production", "--facts", "sample-facts.json");
        result.Stderr.ShouldBeEmpty();
        result.ExitCode.ShouldBe(2);
        result.Stdout.ShouldMatchGolden("plan-production.txt");
    }

    [Fact]
    public async Task Canary_plan_as_json_matches_the_golden_output()
    {
        var result = await Run("plan", "--branch", "canary", "--facts", "sample-facts.json", "--json");
        result.ExitCode.ShouldBe(2);
        result.Stdout.ShouldMatchGolden("plan-canary.json");
        using var json = JsonDocument.Parse(result.Stdout);
        json.RootElement.GetProperty("summary").GetProperty("os_updates").GetInt32().ShouldBe(1);
        result.Stdout.ShouldNotContain("sample-influxdb-token", Case.Sensitive, "secrets never appear in a plan");
    }

    [Fact]
    public async Task Json_written_as_bytes_is_the_same_document()
    {
        var result = await CliRunner.RunWithJsonBytesAsync(repo.Path, CliRunner.SampleSecrets, "plan", "--branch", "canary", "--facts", "sample-facts.json", "--json");
        result.ExitCode.ShouldBe(2);
        result.Stdout.ShouldMatchGolden("plan-canary.json");
    }

    [Fact]
    public async Task Secrets_never_appear_in_human_output()
    {
        var result = await Run("plan", "--branch", "production", "--facts", "sample-facts.json", "--all");
        result.Stdout.ShouldNotContain("sample-influxdb-token");
        result.Stdout.ShouldNotContain("sample-runner-token");
        result.Stdout.ShouldContain("monitoring_token: ***");
    }

    [Fact]
    public async Task Nothing_to_change_exits_0()
    {
        // Apply the plan to the facts by hand (what the devices would report afterwards), then plan again.
        var first = await Run("plan", "--branch", "main", "--facts", "sample-facts.json", "--json");
        using var plan = JsonDocument.Parse(first.Stdout);
        var facts = FactsDocument.Parse(File.ReadAllBytes(Path.Combine(repo.Path, "sample-facts.json")));
        var devices = facts.Devices.ToDictionary(d => d.Id);
        foreach (var change in plan.RootElement.GetProperty("devices").EnumerateArray())
        {
            var device = devices[change.GetProperty("device_id").GetString()!];
            var reported = new Dictionary<string, string>(device.ReportedConfiguration ?? DeviceFacts.EmptyMap);
            foreach (var key in change.GetProperty("configuration").GetProperty("changes").EnumerateArray())
            {
                var name = key.GetProperty("key").GetString()!;
                if (key.GetProperty("kind").GetString() == "removed")
                {
                    reported.Remove(name);
                }
                else
                {
                    var value = key.GetProperty("new").GetString()!;
                    reported[name] = value == "***" ? CliRunner.SampleSecrets["INFLUXDB_HTTP_TOKEN"] : value;
                }
            }

            var image = change.GetProperty("os").GetProperty("to").GetString()!;
            devices[device.Id] = device with
            {
                ArtifactName = image,
                Attributes = new Dictionary<string, string> { ["rootfs-image.version"] = image },
                ReportedConfiguration = reported.Count == 0 ? null : reported,
            };
        }

        File.WriteAllText(Path.Combine(repo.Path, "converged.json"), (facts with { Devices = [.. devices.Values] }).ToJson());
        var result = await Run("plan", "--branch", "main", "--facts", "converged.json");
        result.ExitCode.ShouldBe(0, result.Stdout + result.Stderr);
        result.Stdout.ShouldContain("Nothing to change.");
    }

    [Fact]
    public async Task The_schedule_shows_windows_per_device_pacing_and_the_declared_pause()
    {
        repo.Checkout("production").Write("gitfleet.yml", """
            branches:
              production:
                paused: true
                rollout:
                  waves: [25%, 100%]
                  pacing: {perMinute: 1}
                  windows:
                    - {name: station, selector: {matchLabels: {site: central-station}}, hours: "00:00-24:00"}
                    - {name: nights, cron: "0 22 * * *", duration: 6h, timezone: Europe/Zurich}
            """).Commit("Production: windows");
        repo.Checkout("main");

        var text = await Run("plan", "--branch", "production", "--facts", "sample-facts.json", "--device-time", "5m");
        text.ExitCode.ShouldBe(2, text.Stderr);
        text.Stdout.ShouldContain("Schedule if applied now (assuming 5m per device; --device-time)");
        text.Stdout.ShouldContain("paused: true in gitfleet.yml: nothing starts until it is set to false or removed");
        text.Stdout.ShouldContain("pacing 1/min");
        text.Stdout.ShouldContain("1 device: window station (open now, closes in ");
        text.Stdout.ShouldMatch(@"3 devices: window nights \((open now, closes|closed, opens) in \d");

        var json = await Run("plan", "--branch", "production", "--facts", "sample-facts.json", "--json");
        using var document = JsonDocument.Parse(json.Stdout);
        var schedule = document.RootElement.GetProperty("schedule");
        schedule.GetProperty("paused").GetBoolean().ShouldBeTrue();
        schedule.GetProperty("waves").GetArrayLength().ShouldBe(2);
        var windows = schedule.GetProperty("windows").EnumerateArray().Select(w => (w.GetProperty("windows")[0].GetString(), w.GetProperty("devices").GetInt32())).ToList();
        windows.ShouldBe([("nights", 3), ("station", 1)]);

        var bad = await Run("plan", "--branch", "production", "--facts", "sample-facts.json", "--device-time", "soon");
        bad.ExitCode.ShouldBe(1);
        bad.Stderr.ShouldContain("--device-time");
    }

    [Fact]
    public async Task Device_claimed_by_two_branches_is_reported()
    {
        // On main, the production kiosk at the central station moves to main; production still claims it.
        repo.Write("host_vars/50a28c2e-3ee8-4559-a5b9-3ce47c881c5d.yml", "subscribed_branch: main\nconfiguration:\n  template: kiosk.json\n  parameters:\n    kiosk_url: https://x\n");
        repo.Commit("Move the station kiosk to main");
        var result = await Run("plan", "--branch", "main", "--facts", "sample-facts.json");
        result.Stdout.ShouldContain("branch-conflict");
        result.Stdout.ShouldContain("claimed by branches main, production");
    }

    [Fact]
    public async Task Missing_facts_option_is_a_clear_error()
    {
        var result = await Run("plan", "--branch", "main");
        result.ExitCode.ShouldBe(1);
        result.Stderr.ShouldContain("plan needs --facts FILE");
    }

    [Fact]
    public async Task Bad_facts_file_names_the_position()
    {
        File.WriteAllText(Path.Combine(repo.Path, "bad.json"), "{\"schema\": \"gitfleet.facts/v1\",\n \"devices\": [ oops ]}");
        var result = await Run("plan", "--branch", "main", "--facts", "bad.json");
        result.ExitCode.ShouldBe(1);
        result.Stderr.ShouldStartWith("error: bad.json: line 2");
        result.Stderr.ShouldNotContain("   at ");
    }

    [Fact]
    public async Task Unknown_branch_lists_the_branches()
    {
        var result = await Run("plan", "--branch", "prodution", "--facts", "sample-facts.json");
        result.ExitCode.ShouldBe(1);
        result.Stderr.ShouldContain("'prodution' is not a branch, tag or commit");
        result.Stderr.ShouldContain("canary, main, production");
    }

    [Fact]
    public async Task Branch_that_does_not_validate_is_refused_with_its_errors()
    {
        repo.Write("group_vars/all.yml", "os_image: 42\n").Commit("Break the images");
        var result = await Run("plan", "--branch", "main", "--facts", "sample-facts.json");
        result.ExitCode.ShouldBe(1);
        result.Stderr.ShouldContain("'main' does not validate:");
        result.Stderr.ShouldContain("group_vars/all.yml:1:11: error: 'os_image' in the variables must be a list");
    }

    [Fact]
    public async Task Server_tag_subscribes_the_development_board_to_main()
    {
        var result = await Run("plan", "--branch", "main", "--facts", "sample-facts.json", "--json");
        using var json = JsonDocument.Parse(result.Stdout);
        var devices = json.RootElement.GetProperty("devices").EnumerateArray().ToList();
        devices.Select(d => d.GetProperty("key").GetString()).ShouldBe([Kiosk, "ed531b64-5108-4f1d-9879-f39f56054078"]);
        devices[1].GetProperty("subscription").GetString().ShouldBe("server_tag");
    }

    public void Dispose() => repo.Dispose();
}
