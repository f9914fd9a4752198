using System.Text.Json;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Variables;
using Gitfleet.Git;
using Gitfleet.TestSupport;

namespace Gitfleet.Core.Tests.Variables;

/// <summary>
/// Our merge must agree with Ansible's: each case writes an inventory with group_vars and host_vars, asks the
/// real `ansible-inventory --list` for every host's variables, and compares with VariableResolver.
/// </summary>
public sealed class AnsiblePrecedenceTests
{
    private const string A = "11111111-1111-4111-8111-111111111111";
    private const string B = "22222222-2222-4222-8222-222222222222";
    private const string C = "33333333-3333-4333-8333-333333333333";

    public static TheoryData<string, (string Path, string Content)[]> Cases => new()
    {
        {
            "all < parent < child < host, inline and files",
            [
                ("inventory.yml", $$"""
                    all:
                      vars: {level: all-inline, a: all-inline, only_all_inline: x}
                      children:
                        parent:
                          vars: {level: parent-inline, p: parent-inline}
                          children:
                            child:
                              vars: {level: child-inline, c: child-inline}
                              hosts:
                                {{A}}: {level: host-inline, h: host-inline}
                                {{B}}:
                        other:
                          hosts:
                            {{C}}:
                    """),
                ("group_vars/all.yml", "level: all-file\na: all-file\nall_file_only: y\n"),
                ("group_vars/parent.yml", "level: parent-file\np: parent-file\n"),
                ("group_vars/child.yml", "level: child-file\n"),
                ($"host_vars/{A}.yml", "level: host-file\n"),
            ]
        },
        {
            "same depth: group_vars files apply in name order; lists and maps replace",
            [
                ("inventory.yml", $$"""
                    all:
                      children:
                        alpha:
                          hosts:
                            {{A}}:
                        beta:
                          hosts:
                            {{A}}:
                            {{B}}:
                    """),
                ("group_vars/alpha.yml", "x: alpha\nlist: [1, 2]\nmap: {a: 1, b: 2}\n"),
                ("group_vars/beta.yml", "x: beta\nlist: [3]\nmap: {c: 3}\n"),
            ]
        },
        {
            "ansible_group_priority changes the order within a depth",
            [
                ("inventory.yml", $$"""
                    all:
                      children:
                        alpha:
                          vars: {ansible_group_priority: 10}
                          hosts:
                            {{A}}:
                        beta:
                          hosts:
                            {{A}}:
                    """),
                ("group_vars/alpha.yml", "x: alpha\n"),
                ("group_vars/beta.yml", "x: beta\n"),
            ]
        },
        {
            "a host in two branches of the tree takes its deepest group last",
            [
                ("inventory.yml", $$"""
                    all:
                      children:
                        site:
                          children:
                            zurich:
                              hosts:
                                {{A}}:
                        kiosks:
                          hosts:
                            {{A}}:
                            {{C}}:
                    """),
                ("group_vars/site.yml", "x: site\ny: site\n"),
                ("group_vars/zurich.yml", "x: zurich\n"),
                ("group_vars/kiosks.yml", "x: kiosks\ny: kiosks\nz: kiosks\n"),
                ("group_vars/all.yml", "z: all\n"),
            ]
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Matches_ansible_inventory(string description, (string Path, string Content)[] files)
    {
        var differences = await CompareAsync(files);
        differences.ShouldBeEmpty(description);
    }

    /// <summary>
    /// Generated inventories (<see cref="GeneratedInventories"/>): every host's variables as the real
    /// ansible-inventory (ansible-core, default settings) resolves them.
    /// </summary>
    [Fact]
    public async Task Matches_ansible_inventory_on_generated_inventories()
    {
        var seeds = Enumerable.Range(1, 24).ToList();
        var results = await Task.WhenAll(seeds.Select(async seed => (Seed: seed, Differences: await CompareAsync(GeneratedInventories.Generate(seed)))));
        var failed = results.Where(r => r.Differences.Count > 0).ToList();
        failed.ShouldBeEmpty(string.Join("\n", failed.Select(f => $"seed {f.Seed}:\n  " + string.Join("\n  ", f.Differences))));
    }

    /// <summary>Writes the files, runs ansible-inventory --list, and lists every host variable we resolve differently.</summary>
    private static async Task<List<string>> CompareAsync((string Path, string Content)[] files)
    {
        using var directory = new TempDirectory("precedence");
        foreach (var (path, content) in files)
        {
            directory.Write(path, content);
        }

        var ansible = await ProcessRunner.RunAsync("ansible-inventory", ["-i", directory.Combine("inventory.yml"), "--list"],
            environment: new Dictionary<string, string?> { ["ANSIBLE_INVENTORY_UNPARSED_WARNING"] = "False", ["ANSIBLE_NOCOLOR"] = "1", ["ANSIBLE_LOCAL_TEMP"] = directory.Combine(".ansible-tmp") });
        ansible.ExitCode.ShouldBe(0, ansible.StandardError);
        using var json = JsonDocument.Parse(ansible.StandardOutput);
        var hostvars = json.RootElement.GetProperty("_meta").GetProperty("hostvars");

        var revision = Snapshots.Valid(files);
        var resolver = new VariableResolver(revision);
        var differences = new List<string>();
        revision.Inventory.Hosts.Count.ShouldBeGreaterThan(0);
        foreach (var host in revision.Inventory.Hosts.Values)
        {
            var ours = resolver.ForDevice(resolver.OrderGroups(host.Groups), host.Name, null);
            var expected = hostvars.TryGetProperty(host.Name, out var vars)
                ? vars.EnumerateObject().ToDictionary(p => p.Name, p => JsonSerializer.Serialize(p.Value))
                : [];
            var actual = ours.Values
                .Where(kv => kv.Key != ReservedVariables.Labels)
                .ToDictionary(kv => kv.Key, kv => JsonSerializer.Serialize(ToPlain(kv.Value)));
            foreach (var name in expected.Keys.Union(actual.Keys).Order(StringComparer.Ordinal))
            {
                var (theirs, mine) = (expected.GetValueOrDefault(name), actual.GetValueOrDefault(name));
                if (theirs != mine)
                {
                    differences.Add($"host {host.Name} ({string.Join(", ", host.Groups)}): {name} is {mine ?? "unset"} here, {theirs ?? "unset"} in ansible-inventory");
                }
            }
        }

        return differences;
    }

    [Fact]
    public void Labels_merge_key_by_key_unlike_other_maps()
    {
        var revision = Snapshots.Valid(
            ("inventory.yml", $"all:\n  children:\n    kiosks:\n      hosts:\n        {A}:\n"),
            ("group_vars/all.yml", "labels: {tier: gold, site: zurich}\nmeta: {a: 1}\n"),
            ("group_vars/kiosks.yml", "labels: {role: kiosk}\nmeta: {b: 2}\n"),
            ($"host_vars/{A}.yml", "labels: {site: bern}\n"));
        var resolver = new VariableResolver(revision);
        var vars = resolver.ForDevice(resolver.OrderGroups(["kiosks"]), A, null);
        vars.Labels.ShouldBe(new Dictionary<string, string> { ["tier"] = "gold", ["site"] = "bern", ["role"] = "kiosk" }, ignoreOrder: true);
        ((IDictionary<string, object?>)vars["meta"]!).Keys.ShouldBe(["b"]);
    }

    [Fact]
    public void Overlays_apply_between_groups_and_host()
    {
        var revision = Snapshots.Valid(
            ("inventory.yml", $"all:\n  children:\n    kiosks:\n      vars: {{refresh: 60, color: blue}}\n      hosts:\n        {A}:\n          labels: {{site: station}}\n          color: red\n        {B}:\n"),
            ("overlays/10-station.yml", "selector:\n  matchLabels: {site: station}\nvars:\n  refresh: 5\n  color: green\n"),
            ("overlays/20-kiosks.yml", "selector:\n  groups: [kiosks]\nvars:\n  screen: on\n"));
        var resolver = new VariableResolver(revision);
        var a = resolver.ForDevice(resolver.OrderGroups(["kiosks"]), A, null);
        a["refresh"].ShouldBe(5L);
        a["color"].ShouldBe("red", "host variables win over overlays");
        a["screen"].ShouldBe(true);
        var b = resolver.ForDevice(resolver.OrderGroups(["kiosks"]), B, null);
        b["refresh"].ShouldBe(60L);
        b["screen"].ShouldBe(true);
    }

    /// <summary>Plain values for JSON, maps with sorted keys as ansible-inventory writes them.</summary>
    private static object? ToPlain(object? value) => value switch
    {
        IDictionary<string, object?> map => new SortedDictionary<string, object?>(map.ToDictionary(kv => kv.Key, kv => ToPlain(kv.Value)), StringComparer.Ordinal),
        System.Collections.IList list => list.Cast<object?>().Select(ToPlain).ToList(),
        _ => value,
    };
}
