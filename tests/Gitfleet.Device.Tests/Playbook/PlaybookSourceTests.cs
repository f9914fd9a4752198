using Gitfleet.Device.Tests.Support;
using Gitfleet.Git;
using Gitfleet.TestSupport;

namespace Gitfleet.Device.Tests.Playbook;

/// <summary>Where the hook gets playbooks from: pinned git versions (also offline), roles from requirements.yml,
/// Debian packages.</summary>
public sealed class PlaybookSourceTests : IDisposable
{
    private readonly PlaybookWorkspace workspace = new();

    [Fact]
    public async Task Pins_the_version_to_a_tag_or_commit_and_a_cached_commit_needs_no_fetch()
    {
        var v1 = workspace.Repository.Write("playbook.yml", PlaybookWorkspace.WriteKioskUrl).Commit("v1");
        workspace.Repository.Git("tag", "v1");
        var v2 = workspace.Repository.Write("playbook.yml", PlaybookWorkspace.WriteKioskUrl.Replace("default('v1')", "default('v2')", StringComparison.Ordinal)).Commit("v2");

        (await workspace.RunHookAsync(workspace.Configuration(workspace.Repository.Path, v2))).ExitCode.ShouldBe(0);
        File.ReadAllText(workspace.KioskFile).ShouldContain("(v2)");

        var back = await workspace.RunHookAsync(workspace.Configuration(workspace.Repository.Path, "v1"));

        back.ExitCode.ShouldBe(0, back.StandardError);
        File.ReadAllText(workspace.KioskFile).ShouldContain("(v1)");
        back.StandardError.ShouldContain($"(commit {v1[..12]})");

        Directory.Delete(workspace.Repository.Path, recursive: true); // the device went offline
        var offline = await workspace.RunHookAsync(workspace.Configuration(workspace.Repository.Path, v2));

        offline.ExitCode.ShouldBe(0, offline.StandardError);
        File.ReadAllText(workspace.KioskFile).ShouldContain("(v2)");
    }

    [Fact]
    public async Task Roles_from_requirements_yml_are_installed_and_used()
    {
        using var role = new GitTestRepository();
        role.Write("tasks/main.yml", """
            - name: role task
              ansible.builtin.copy:
                dest: "{{ kiosk_file }}"
                content: "written by the role\n"
            """).Write("meta/main.yml", "galaxy_info: {author: gitfleet, description: test, license: MIT, min_ansible_version: '2.9', platforms: []}\ndependencies: []\n")
            .Commit("role");
        workspace.Repository.Write("requirements.yml", $"- src: git+file://{role.Path}\n  name: kiosk_role\n  version: main\n")
            .Write("playbook.yml", "- hosts: all\n  gather_facts: false\n  roles:\n    - kiosk_role\n")
            .Commit("playbook with a role");

        var result = await workspace.RunHookAsync(workspace.Configuration(workspace.Repository.Path, "main"));

        result.ExitCode.ShouldBe(0, result.StandardError);
        File.ReadAllText(workspace.KioskFile).ShouldBe("written by the role\n");
    }

    [Fact]
    public async Task A_deb_playbook_is_installed_at_the_version_and_run_from_the_package()
    {
        var deb = await BuildPlaybookPackageAsync("kiosk-playbook", "1.2-1");
        // The one stand-in: apt-get would install into the real root; this one unpacks the .deb into the sandbox.
        var aptGet = DeviceSandbox.WriteScript(workspace.Sandbox.Combine("apt-get"), $"""
            #!/bin/sh
            echo "apt-get $*" >> "{workspace.Sandbox.Combine("apt.log")}"
            for last; do :; done
            dpkg-deb -x "{Path.GetDirectoryName(deb)}/$(echo "$last" | sed 's/=/_/')_all.deb" "{workspace.Sandbox.Combine("packages")}"
            """);
        var config = new Dictionary<string, string>
        {
            ["playbook_url"] = "deb:kiosk-playbook",
            ["playbook_version"] = "1.2-1",
            ["kiosk_url"] = "https://kiosk.example",
            ["kiosk_file"] = workspace.KioskFile,
        };

        var result = await workspace.RunHookAsync(config, new Dictionary<string, string?> { ["GITFLEET_APT_GET"] = aptGet });

        result.ExitCode.ShouldBe(0, result.StandardError);
        File.ReadAllText(workspace.Sandbox.Combine("apt.log")).ShouldContain("install --yes --allow-downgrades -o Dpkg::Options::=--force-confold kiosk-playbook=1.2-1");
        File.ReadAllText(workspace.KioskFile).ShouldBe("https://kiosk.example (v1)\n");
    }

    public void Dispose() => workspace.Dispose();

    private async Task<string> BuildPlaybookPackageAsync(string package, string version)
    {
        var root = workspace.Sandbox.Combine("deb-build", package);
        Directory.CreateDirectory(Path.Combine(root, "DEBIAN"));
        await File.WriteAllTextAsync(Path.Combine(root, "DEBIAN", "control"),
            $"Package: {package}\nVersion: {version}\nArchitecture: all\nMaintainer: Test <test@example.invalid>\nDescription: kiosk playbook\n");
        var playbooks = Path.Combine(root, "usr", "share", "gitfleet-playbooks", package);
        Directory.CreateDirectory(playbooks);
        await File.WriteAllTextAsync(Path.Combine(playbooks, "playbook.yml"), PlaybookWorkspace.WriteKioskUrl);
        var deb = workspace.Sandbox.Combine("debs", $"{package}_{version}_all.deb");
        Directory.CreateDirectory(Path.GetDirectoryName(deb)!);
        var build = await ProcessRunner.RunAsync("dpkg-deb", ["--root-owner-group", "--build", root, deb]);
        build.ExitCode.ShouldBe(0, build.StandardError);
        return deb;
    }
}
