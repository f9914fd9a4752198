using System.Text.Json;
using Gitfleet.Device.Tests.Support;

namespace Gitfleet.Device.Tests.Playbook;

/// <summary>
/// The 50-gitfleet-playbook hook with a real git repository holding a real playbook, run by the real
/// ansible-playbook against localhost.
/// </summary>
public sealed class PlaybookHookTests : IDisposable
{
    private readonly PlaybookWorkspace workspace = new();

    [Fact]
    public async Task Applies_the_playbook_at_the_branch_and_a_second_run_changes_nothing()
    {
        var commit = workspace.Repository.Write("playbook.yml", PlaybookWorkspace.WriteKioskUrl).Commit("kiosk playbook");
        var config = workspace.Configuration(workspace.Repository.Path, "main");

        var first = await workspace.RunHookAsync(config);

        first.ExitCode.ShouldBe(0, first.StandardError);
        File.ReadAllText(workspace.KioskFile).ShouldBe("https://kiosk.example (v1)\n");
        first.StandardError.ShouldContain("changed=1");
        first.StandardOutput.ShouldBeEmpty(); // everything goes to the deployment log (stderr)

        var second = await workspace.RunHookAsync(config);

        second.ExitCode.ShouldBe(0, second.StandardError);
        second.StandardError.ShouldContain("ok=1 changed=0");
        var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(workspace.Sandbox.StateDirectory, "playbook.json"))).RootElement;
        state.GetProperty("commit").GetString().ShouldBe(commit);
        state.GetProperty("changed").GetInt32().ShouldBe(0);
    }

    [Fact]
    public async Task A_failing_playbook_fails_the_hook_with_ansible_s_output_on_stderr()
    {
        workspace.Repository.Write("site.yml", """
            - hosts: all
              gather_facts: false
              tasks:
                - ansible.builtin.fail:
                    msg: "kiosk display not found"
            """).Commit("broken playbook");
        var config = workspace.Configuration(workspace.Repository.Path, "main");
        config["playbook_file"] = "site.yml";

        var result = await workspace.RunHookAsync(config);

        result.ExitCode.ShouldNotBe(0);
        result.StandardError.ShouldContain("kiosk display not found");
        result.StandardError.ShouldContain("ansible-playbook site.yml failed with exit code 2");
    }

    [Fact]
    public async Task Without_playbook_keys_the_hook_does_nothing()
    {
        var result = await workspace.RunHookAsync(new Dictionary<string, string> { ["expected_os_image"] = "img-1", ["kiosk_url"] = "x" });

        result.ExitCode.ShouldBe(0);
        result.StandardError.ShouldBeEmpty();
        Directory.Exists(workspace.Sandbox.Combine("playbook-cache")).ShouldBeFalse();
    }

    [Theory]
    [InlineData("playbook_url")]
    [InlineData("playbook_version")]
    public async Task Only_one_of_the_playbook_keys_is_an_error(string key)
    {
        var result = await workspace.RunHookAsync(new Dictionary<string, string> { [key] = "x" });

        result.ExitCode.ShouldNotBe(0);
        result.StandardError.ShouldContain("needs both playbook_url and playbook_version");
    }

    [Fact]
    public async Task An_unknown_version_is_a_clear_error()
    {
        workspace.Repository.Write("playbook.yml", PlaybookWorkspace.WriteKioskUrl).Commit("kiosk playbook");

        var result = await workspace.RunHookAsync(workspace.Configuration(workspace.Repository.Path, "no-such-branch"));

        result.ExitCode.ShouldNotBe(0);
        result.StandardError.ShouldContain("playbook_version 'no-such-branch' is neither a branch, a tag nor a commit");
    }

    [Fact]
    public async Task Credentials_in_the_playbook_url_never_reach_the_log()
    {
        var result = await workspace.RunHookAsync(workspace.Configuration("https://fleet:s3cret-token@127.0.0.1:1/kiosk.git", "main"));

        result.ExitCode.ShouldNotBe(0);
        result.StandardError.ShouldContain("cannot fetch https://***@127.0.0.1:1/kiosk.git");
        result.StandardError.ShouldNotContain("s3cret-token");
    }

    [Fact]
    public async Task A_playbook_file_outside_the_repository_is_refused()
    {
        workspace.Repository.Write("playbook.yml", PlaybookWorkspace.WriteKioskUrl).Commit("kiosk playbook");
        var config = workspace.Configuration(workspace.Repository.Path, "main");
        config["playbook_file"] = "../../etc/evil.yml";

        var result = await workspace.RunHookAsync(config);

        result.ExitCode.ShouldNotBe(0);
        result.StandardError.ShouldContain("must be a relative path inside the playbook repository");
    }

    public void Dispose() => workspace.Dispose();
}
