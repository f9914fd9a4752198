using Gitfleet.Core.Diagnostics;
using Gitfleet.Core.Loading;
using Gitfleet.TestSupport;

namespace Gitfleet.Fuzz.Tests.Yaml;

/// <summary>
/// Whatever a commit holds, loading it (parse and validate, as validate, plan, apply and the watcher do) ends with
/// diagnostics: never an exception, never Gitfleet's "this is a bug" diagnostic, never a location outside the file,
/// and within a bounded allocation. Inputs: YAML built from structural fragments (anchors, aliases, flow and block
/// nesting, tags, documents, odd text), and the sample fleet's files with fragments inserted at random places.
/// </summary>
public sealed class FleetYamlFuzzTests
{
    private const long AllocationBound = 512L * 1024 * 1024;

    private static readonly string[] Fragments =
    [
        "[", "]", "{", "}", ", ", ": ", "- ", "? ", "\n", "\n  ", "\n    ", "\t", " ", "&a ", "&b ", "*a", "*b", "<<: *a", "---\n", "...\n",
        "!!str ", "!!map ", "!tag ", "|\n  ", ">-\n  ", "'q'", "\"d\\u0041\"", "\"\\ud800\"", "#c", "%YAML 1.1\n", "key", "os_image", "hosts",
        "children", "vars", "all", "subscribed_branch", "device_type", "identity", "configuration", "template", "selector", "matchExpressions",
        "~", "null", "yes", "1e999", "0x1F", "-.inf", "3fb4632b-96b9-475d-ac89-02255bd15b6f", "\u00e9", "\U0001F680", "\u0000", "\u202e",
        "&x [ *x ]", "[[[[[[[[", "]]]]]]]]", "{a: {b: {c: ", "}}}", "- - - - ", "@", "`", "%",
    ];

    private static readonly Gen<string> Composed =
        Gen.Int[0, Fragments.Length - 1].Array[0, 120].Select(picks => string.Concat(picks.Select(i => Fragments[i])));

    [Fact]
    public void Composed_yaml_in_any_fleet_file_loads_to_diagnostics()
    {
        var files = new[] { "inventory.yml", "group_vars/all.yml", "host_vars/3fb4632b-96b9-475d-ac89-02255bd15b6f.yml", "overlays/o.yml", "gitfleet.yml" };
        Gen.Select(Composed, Gen.Int[0, files.Length - 1]).Sample((yaml, file) =>
        {
            var snapshot = files[file] == "inventory.yml"
                ? Snapshots.Of(("inventory.yml", yaml))
                : Snapshots.Of(("inventory.yml", "all:\n  hosts:\n    3fb4632b-96b9-475d-ac89-02255bd15b6f:\n"), (files[file], yaml));
            ShouldLoadToDiagnostics(snapshot);
        }, seed: FuzzTime.Seed, time: FuzzTime.Seconds(12), iter: 2_000_000);
    }

    [Fact]
    public void The_sample_fleet_with_fragments_inserted_anywhere_loads_to_diagnostics()
    {
        var root = FuzzTime.SampleFleet;
        var sample = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Where(Core.Repository.RepositorySnapshot.IsFleetPath)
            .ToDictionary(f => f, f => File.ReadAllText(Path.Combine(root, f)), StringComparer.Ordinal);
        var paths = sample.Keys.Order(StringComparer.Ordinal).ToArray();
        var edit = Gen.Select(Gen.Int[0, paths.Length - 1], Gen.Double[0, 1], Gen.Int[0, Fragments.Length - 1], Gen.Int[0, 16]);
        edit.Array[1, 8].Sample(edits =>
        {
            var files = new Dictionary<string, string>(sample, StringComparer.Ordinal);
            foreach (var (file, where, fragment, cut) in edits)
            {
                var text = files[paths[file]];
                var at = (int)(where * text.Length);
                files[paths[file]] = text[..at] + Fragments[fragment] + text[Math.Min(text.Length, at + cut)..];
            }

            ShouldLoadToDiagnostics(Snapshots.Of([.. files.Select(kv => (kv.Key, kv.Value))]));
        }, seed: FuzzTime.Seed, time: FuzzTime.Seconds(12), iter: 2_000_000);
    }

    private static void ShouldLoadToDiagnostics(Core.Repository.RepositorySnapshot snapshot)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var result = FleetLoader.Load(snapshot);
        (GC.GetAllocatedBytesForCurrentThread() - before).ShouldBeLessThan(AllocationBound);
        result.Diagnostics.ShouldNotContain(d => d.Code == "internal", string.Join('\n', result.Diagnostics));
        foreach (var diagnostic in result.Diagnostics.Where(d => d.Location is not null))
        {
            var location = diagnostic.Location!;
            if (snapshot.Files.TryGetValue(location.File, out var text) && location.Line > 1)
            {
                location.Line.ShouldBeLessThanOrEqualTo(text.Split('\n').Length + 1, diagnostic.ToString());
            }
        }

        result.HasErrors.ShouldBe(result.Revision is null);
        _ = result.Diagnostics.Select(d => d.ToString()).ToList();
        if (result.Diagnostics.Any(d => d.Severity == Severity.Error))
        {
            result.Revision.ShouldBeNull();
        }
    }
}
