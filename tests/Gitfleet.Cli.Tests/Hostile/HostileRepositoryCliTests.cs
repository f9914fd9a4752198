using System.Text;
using Gitfleet.TestSupport;

namespace Gitfleet.Cli.Tests.Hostile;

/// <summary>
/// Issue 10, items 1, 2 and 6, through the CLI: `gitfleet validate` on a hostile commit answers with diagnostics
/// (it used to abort with a 13,000-line trace), and `--working-tree` never reads through a link out of the repository.
/// </summary>
public sealed class HostileRepositoryCliTests
{
    private const string Device = "3fb4632b-96b9-475d-ac89-02255bd15b6f";

    public static TheoryData<string, string, string> Hostile => new()
    {
        { "group_vars/all.yml", HostileInput.SelfAlias, "group_vars/all.yml:1:12: error: alias *x is inside the node it names" },
        { "inventory.yml", HostileInput.Deep(), "inventory.yml:1:70: error: mappings and lists nest deeper than 64 levels [yaml-depth]" },
        { $"host_vars/{Device}.yml", HostileInput.Bomb(), "[yaml-nodes]" },
        { "templates/app.json", HostileInput.LoopingTemplate, "[template-limit]" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task Validate_reports_a_hostile_file_as_a_diagnostic(string file, string content, string expected)
    {
        using var repository = new GitTestRepository();
        repository.Write("inventory.yml", $"all:\n  vars:\n    subscribed_branch: main\n    device_type: pi4\n  hosts:\n    {Device}:\n")
            .Write("group_vars/all.yml", "os_image: [{device_type: pi4, image_name: v2}]\nconfiguration: {template: app.json}\n" + HostileInput.TwoThousandItems)
            .Write("templates/app.json", "{\"l\": \"{{l.length}}\"}")
            .Write(file, content)
            .Commit("Hostile " + file);
        var result = await CliRunner.RunAsync(repository.Path, null, "validate");
        result.ExitCode.ShouldBe(1, result.Stderr);
        result.Stdout.ShouldContain(expected);
        result.Stdout.ShouldNotContain("this is a bug");
        (result.Stdout + result.Stderr).Split('\n').Length.ShouldBeLessThan(40, "diagnostics, not a trace");
    }

    [Fact]
    public async Task Working_tree_validation_never_reads_through_a_link_out_of_the_repository()
    {
        using var outside = new TempDirectory("gitfleet-outside");
        outside.Write("secret.yml", "password: marker-of-a-file-outside-the-repository\n");
        outside.Write("vars/all.yml", "marker: another-marker-outside\n");
        using var repository = new GitTestRepository();
        repository.Write("inventory.yml", $"all:\n  vars:\n    subscribed_branch: main\n  hosts:\n    {Device}:\n")
            .Write("group_vars/all.yml", "os_image: []\n")
            .Write("shared/common.yml", "inside: true\n");
        File.CreateSymbolicLink(Path.Combine(repository.Path, "group_vars", "extra.yml"), "/etc/passwd");
        Directory.CreateDirectory(Path.Combine(repository.Path, "overlays"));
        File.CreateSymbolicLink(Path.Combine(repository.Path, "overlays", "o.yml"), outside.Combine("secret.yml"));
        File.CreateSymbolicLink(Path.Combine(repository.Path, "group_vars", "relative.yml"), "../../" + Path.GetFileName(outside.Path) + "/secret.yml");
        Directory.CreateSymbolicLink(Path.Combine(repository.Path, "host_vars"), outside.Combine("vars"));
        File.CreateSymbolicLink(Path.Combine(repository.Path, "group_vars", "main.yml"), "../shared/common.yml");

        var result = await CliRunner.RunAsync(repository.Path, null, "validate", "--working-tree");
        result.ExitCode.ShouldBe(1, result.Stderr);
        var output = result.Stdout + result.Stderr;
        output.ShouldContain("group_vars/extra.yml:1:1: error: group_vars/extra.yml is a symbolic link to a file outside the repository");
        output.ShouldContain("overlays/o.yml:1:1: error: overlays/o.yml is a symbolic link to a file outside the repository");
        output.ShouldContain("group_vars/relative.yml:1:1: error: group_vars/relative.yml is a symbolic link");
        output.ShouldContain("host_vars:1:1: error: host_vars is a symbolic link to a directory outside the repository");
        output.ShouldNotContain("marker");
        output.ShouldNotContain("root:");
        var json = await CliRunner.RunAsync(repository.Path, null, "validate", "--working-tree", "--json");
        using var document = System.Text.Json.JsonDocument.Parse(json.Stdout);
        var links = document.RootElement.GetProperty("diagnostics").EnumerateArray().Where(d => d.GetProperty("code").GetString() == "symlink").Select(d => d.GetProperty("file").GetString()).ToList();
        links.ShouldBe(["group_vars/extra.yml", "group_vars/relative.yml", "host_vars", "overlays/o.yml"], ignoreOrder: true, "a link inside the repository (group_vars/main.yml) is read like the file it names");
        json.Stdout.ShouldNotContain("marker");
    }

    [Fact]
    public async Task A_symbolic_link_committed_to_git_is_reported_not_followed()
    {
        using var repository = new GitTestRepository();
        repository.Write("inventory.yml", $"all:\n  vars:\n    subscribed_branch: main\n  hosts:\n    {Device}:\n")
            .Write("group_vars/all.yml", "os_image: []\n");
        File.CreateSymbolicLink(Path.Combine(repository.Path, "group_vars", "extra.yml"), "/etc/passwd");
        repository.Commit("A link");
        var result = await CliRunner.RunAsync(repository.Path, null, "validate");
        result.ExitCode.ShouldBe(1);
        result.Stdout.ShouldContain("group_vars/extra.yml:1:1: error: group_vars/extra.yml is committed as a symbolic link; fleet files");
        result.Stdout.ShouldNotContain("root:");
        Encoding.UTF8.GetByteCount(result.Stdout).ShouldBeLessThan(4096);
    }
}
