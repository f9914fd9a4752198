using System.Text.Json;
using Gitfleet.Core.Facts;
using Gitfleet.Device.Tests.Support;

namespace Gitfleet.Device.Tests.Inventory;

/// <summary>mender-inventory-gitfleet: Mender's key=value format, and the checksum Gitfleet's server computes.</summary>
public sealed class InventoryScriptTests : IDisposable
{
    private readonly DeviceSandbox sandbox = new();

    public InventoryScriptTests() => sandbox.SetArtifactInfo("img-1");

    public static TheoryData<Dictionary<string, string>> Configurations => new()
    {
        new Dictionary<string, string> { ["expected_os_image"] = "img-1", ["subscribed_branch"] = "canary", ["kiosk_url"] = "https://kiosk.example" },
        new Dictionary<string, string>
        {
            ["expected_os_image"] = "img-1",
            ["subscribed_branch"] = "main",
            ["Zeta"] = "",                       // upper case sorts before lower case (ordinal)
            ["a"] = "two\nlines",
            ["straße"] = "grüße",
            ["\uFFFD"] = "after the emoji",      // ordinal (UTF-16) order puts U+1F600 (D83D DE00) before U+FFFD
            ["😀"] = "before U+FFFD",
        },
        new Dictionary<string, string>(),
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public async Task The_configuration_checksum_equals_ConfigurationChecksum_Compute(Dictionary<string, string> configuration)
    {
        await File.WriteAllTextAsync(sandbox.ConfigFile, JsonSerializer.Serialize(configuration));

        var inventory = await RunInventoryAsync();

        inventory["gitfleet_config_checksum"].ShouldBe(ConfigurationChecksum.Compute(configuration));
    }

    [Fact]
    public async Task Reports_the_image_the_branch_and_the_device_s_resources_as_key_value_lines()
    {
        await File.WriteAllTextAsync(sandbox.ConfigFile, """{"expected_os_image": "img-1", "subscribed_branch": "production"}""");
        Directory.CreateDirectory(Path.Combine(sandbox.AbRoot, "b"));
        await File.WriteAllTextAsync(Path.Combine(sandbox.AbRoot, "b", "image"), "img-1\n");
        File.CreateSymbolicLink(Path.Combine(sandbox.AbRoot, "active"), "b");
        await File.WriteAllTextAsync(Path.Combine(sandbox.StateDirectory, "playbook.json"),
            """{"url": "https://token@git.example/kiosk.git", "version": "v3", "commit": "0123abcd", "changed": 0, "applied_at": "2026-01-01T12:00:00Z"}""");

        var inventory = await RunInventoryAsync();

        inventory["gitfleet_os_image"].ShouldBe("img-1");
        inventory["gitfleet_subscribed_branch"].ShouldBe("production");
        inventory["gitfleet_expected_os_image"].ShouldBe("img-1");
        inventory["gitfleet_config_matches_os_image"].ShouldBe("true");
        inventory["gitfleet_ab_active_slot"].ShouldBe("b");
        inventory["gitfleet_ab_active_image"].ShouldBe("img-1");
        inventory["gitfleet_ab_update_pending"].ShouldBe("false");
        inventory["gitfleet_playbook_version"].ShouldBe("v3");
        inventory["gitfleet_playbook_commit"].ShouldBe("0123abcd");
        inventory.Values.ShouldNotContain(value => value.Contains("token@", StringComparison.Ordinal));
        inventory["os_id"].ShouldNotBeNullOrWhiteSpace();
        long.Parse(inventory["uptime_seconds"], System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThan(0);
        long.Parse(inventory["mem_total_kB"], System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThan(0);
        long.Parse(inventory["disk_root_total_kB"], System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThan(0);
        int.Parse(inventory["disk_root_used_percent"], System.Globalization.CultureInfo.InvariantCulture).ShouldBeInRange(0, 100);
    }

    [Fact]
    public async Task A_configuration_for_another_image_is_flagged()
    {
        await File.WriteAllTextAsync(sandbox.ConfigFile, """{"expected_os_image": "img-0", "subscribed_branch": "main"}""");

        (await RunInventoryAsync())["gitfleet_config_matches_os_image"].ShouldBe("false");
    }

    [Fact]
    public async Task A_broken_configuration_file_costs_only_its_own_facts()
    {
        await File.WriteAllTextAsync(sandbox.ConfigFile, "{broken");

        var result = await sandbox.RunAsync(DeviceSources.InventoryScript("mender-inventory-gitfleet"), []);

        result.ExitCode.ShouldBe(0);
        result.StandardError.ShouldContain("cannot report the applied configuration");
        result.StandardOutput.ShouldNotContain("gitfleet_config_checksum");
        result.StandardOutput.ShouldContain("gitfleet_os_image=img-1");
    }

    [Fact]
    public async Task Announces_delta_support_only_with_the_delta_module_installed()
    {
        (await RunInventoryAsync()).ShouldNotContainKey("gitfleet_delta_formats");

        Directory.CreateDirectory(sandbox.ModulesDirectory);
        File.CreateSymbolicLink(Path.Combine(sandbox.ModulesDirectory, "gitfleet-delta"), DeviceSources.Module("gitfleet-delta"));

        (await RunInventoryAsync())["gitfleet_delta_formats"].ShouldBe("xdelta3");
    }

    public void Dispose() => sandbox.Dispose();

    private async Task<Dictionary<string, string>> RunInventoryAsync()
    {
        var result = await sandbox.RunAsync(DeviceSources.InventoryScript("mender-inventory-gitfleet"), []);
        result.ExitCode.ShouldBe(0, result.StandardError);
        return InventoryLines.Parse(result.StandardOutput);
    }
}
