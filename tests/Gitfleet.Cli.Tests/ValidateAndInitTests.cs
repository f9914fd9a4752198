using System.Text.Json;
using Gitfleet.TestSupport;

namespace Gitfleet.Cli.Tests;

public sealed class ValidateAndInitTests
{
    [Fact]
    public async Task Init_creates_a_sample_fleet_whose_every_branch_validates_and_plans()
    {
        using var directory = new TempDirectory();
        var init = await CliRunner.RunAsync(directory.Path, CliRunner.SampleSecrets, "init", "fleet");
        init.ExitCode.ShouldBe(0, init.Stderr);
        init.Stdout.ShouldContain("with branches main, canary, production");

        foreach (var branch in new[] { "main", "canary", "production" })
        {
            var validate = await CliRunner.RunAsync(directory.Path, null, "validate", "--repo", "fleet", "--ref", branch);
            validate.ExitCode.ShouldBe(0, validate.Stdout);
            validate.Stdout.ShouldContain("0 errors, 0 warnings");

            var plan = await CliRunner.RunAsync(directory.Path, CliRunner.SampleSecrets, "plan", "--repo", "fleet", "--branch", branch, "--facts", "fleet/sample-facts.json", "--json");
            plan.ExitCode.ShouldBe(2, plan.Stderr);
            using var json = JsonDocument.Parse(plan.Stdout);
            json.RootElement.GetProperty("summary").GetProperty("problems").GetInt32().ShouldBe(0, plan.Stdout);
        }

        (await CliRunner.RunAsync(directory.Path, null, "init", "fleet")).Stderr.ShouldContain("exists and is not empty");
    }

    [Fact]
    public async Task Validate_reports_every_error_and_exits_1()
    {
        using var repo = new GitTestRepository();
        repo.Write("inventory.yml", "all:\n  hots:\n    x:\n")
            .Write("group_vars/all.yml", "os_image:\n  - device_type: pi\n")
            .Commit("Broken");
        var result = await CliRunner.RunAsync(repo.Path, null, "validate");
        result.ExitCode.ShouldBe(1);
        result.Stdout.ShouldContain("group_vars/all.yml:2:5: error: an os_image entry needs 'image_name' [wrong-type]");
        result.Stdout.ShouldContain("inventory.yml:2:3: error: unknown key 'hots' in group 'all' (did you mean 'hosts'?)");
        result.Stdout.ShouldContain("2 errors, 0 warnings");

        var json = await CliRunner.RunAsync(repo.Path, null, "validate", "--json");
        json.ExitCode.ShouldBe(1);
        using var document = JsonDocument.Parse(json.Stdout);
        document.RootElement.GetProperty("valid").GetBoolean().ShouldBeFalse();
        var first = document.RootElement.GetProperty("diagnostics")[0];
        first.GetProperty("file").GetString().ShouldBe("group_vars/all.yml");
        first.GetProperty("line").GetInt32().ShouldBe(2);
        first.GetProperty("code").GetString().ShouldBe("wrong-type");
    }

    [Fact]
    public async Task Validate_the_working_tree_before_committing()
    {
        using var repo = new GitTestRepository();
        repo.Write("inventory.yml", "all:\n").Commit("Empty");
        repo.Write("inventory.yml", "all:\n  hosts:\n    not-a-uuid:\n");
        (await CliRunner.RunAsync(repo.Path, null, "validate")).ExitCode.ShouldBe(0);
        var working = await CliRunner.RunAsync(repo.Path, null, "validate", "--working-tree");
        working.ExitCode.ShouldBe(1);
        working.Stdout.ShouldContain("inventory.yml:3:5: error: 'not-a-uuid' is not a device id");
    }

    [Fact]
    public async Task Strict_fails_on_warnings()
    {
        using var repo = new GitTestRepository();
        repo.Write("inventory.yml", "all:\n  hosts:\n    3fb4632b-96b9-475d-ac89-02255bd15b6f:\n").Commit("No branch");
        (await CliRunner.RunAsync(repo.Path, null, "validate")).ExitCode.ShouldBe(0);
        (await CliRunner.RunAsync(repo.Path, null, "validate", "--strict")).ExitCode.ShouldBe(1);
    }

    [Fact]
    public async Task Not_a_repository_is_a_clear_error()
    {
        using var directory = new TempDirectory();
        var result = await CliRunner.RunAsync(directory.Path, null, "validate");
        result.ExitCode.ShouldBe(1);
        result.Stderr.ShouldStartWith("error: ");
        result.Stderr.ShouldContain("is not a git repository");
    }

    [Fact]
    public async Task Help_names_the_commands_and_bad_arguments_get_a_message()
    {
        var help = await CliRunner.RunAsync(Path.GetTempPath(), null, "--help");
        help.ExitCode.ShouldBe(0);
        foreach (var command in new[] { "init", "validate", "plan" })
        {
            help.Stdout.ShouldContain(command);
        }

        var bad = await CliRunner.RunAsync(Path.GetTempPath(), null, "plan", "--frobnicate");
        bad.ExitCode.ShouldNotBe(0);
        (bad.Stdout + bad.Stderr).ShouldContain("--frobnicate");
        (bad.Stdout + bad.Stderr).ShouldNotContain("   at ");
    }
}
