using System.Diagnostics;
using System.Text;
using Gitfleet.Core.Diagnostics;
using Gitfleet.Core.Loading;
using Gitfleet.Core.Yaml;
using Gitfleet.TestSupport;

namespace Gitfleet.Core.Tests.Yaml;

/// <summary>
/// Issue 10, items 1 and 2, at the level of the loader: a recursive alias, a file nested 100,000 levels deep, an
/// alias bomb of under 1 KB, too many aliases or nodes, in any fleet file, are each a diagnostic at file:line:col
/// with a code, found quickly and without the memory the expansion would take.
/// </summary>
public sealed class YamlLimitsTests
{
    private const string Device = "3fb4632b-96b9-475d-ac89-02255bd15b6f";
    private static readonly (string, string) Inventory = ("inventory.yml", $"all:\n  hosts:\n    {Device}:\n");

    /// <summary>The fleet files a commit can hold, each a place for hostile YAML.</summary>
    public static TheoryData<string> Files => new() { "group_vars/all.yml", "host_vars/" + Device + ".yml", "overlays/o.yml", "gitfleet.yml", "inventory.yml" };

    [Theory]
    [MemberData(nameof(Files))]
    public void A_self_referencing_alias_is_a_diagnostic_not_a_stack_overflow(string file)
    {
        var diagnostic = LoadOne(file, HostileInput.SelfAlias).Single(DiagnosticCodes.YamlAlias);
        diagnostic.ToString().ShouldStartWith($"{file}:1:12: error: alias *x is inside the node it names (&x, line 1): it would repeat forever");
    }

    [Theory]
    [InlineData("a: &x {b: *x}\n", 1, 11)]
    [InlineData("a: &x\n  - 1\n  - b:\n      - *x\n", 4, 9)]
    [InlineData("a: *nowhere\n", 1, 4)]
    public void Aliases_to_an_enclosing_or_a_missing_anchor_are_refused(string yaml, int line, int column)
    {
        var diagnostic = LoadOne("group_vars/all.yml", yaml).Single(DiagnosticCodes.YamlAlias);
        (diagnostic.Location!.Line, diagnostic.Location.Column).ShouldBe((line, column));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void A_file_nested_100000_levels_deep_stops_at_the_depth_limit(string file)
    {
        var yaml = HostileInput.Deep();
        yaml.Length.ShouldBeGreaterThan(200_000);
        var clock = Stopwatch.StartNew();
        var diagnostic = LoadOne(file, yaml).Single(DiagnosticCodes.YamlDepth);

        // The root mapping is level 1, so the 64th '[' opens level 65.
        diagnostic.ToString().ShouldStartWith($"{file}:1:{"deep: ".Length + 64}: error: mappings and lists nest deeper than 64 levels");
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(30), "the parser stops at the limit (generous bound for a loaded machine)");
    }

    [Fact]
    public void Block_style_nesting_is_limited_too()
    {
        var yaml = new StringBuilder();
        for (var i = 0; i < 100; i++)
        {
            yaml.Append(' ', i).Append("k:\n");
        }

        var diagnostic = LoadOne("group_vars/all.yml", yaml.ToString()).Single(DiagnosticCodes.YamlDepth);
        diagnostic.Location!.Line.ShouldBe(65);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void An_alias_bomb_under_a_kilobyte_is_refused_before_it_expands(string file)
    {
        var bomb = HostileInput.Bomb();
        bomb.Length.ShouldBeLessThan(1024);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var diagnostic = LoadOne(file, bomb).Single(DiagnosticCodes.YamlNodes);
        diagnostic.Message.ShouldStartWith("the file holds more than 1000000 YAML nodes once its aliases are expanded (alias *a");
        diagnostic.Location!.File.ShouldBe(file);
        (GC.GetAllocatedBytesForCurrentThread() - before).ShouldBeLessThan(1L << 30, "the expansion stops at the node limit");
    }

    [Fact]
    public void Too_many_aliases_in_one_file_are_refused()
    {
        var yaml = new StringBuilder("a: &a x\nlist:\n");
        for (var i = 0; i < 10_001; i++)
        {
            yaml.Append("  - *a\n");
        }

        var diagnostic = LoadOne("group_vars/all.yml", yaml.ToString()).Single(DiagnosticCodes.YamlAliases);
        diagnostic.ToString().ShouldStartWith("group_vars/all.yml:10003:5: error: the file uses more than 10000 aliases");
    }

    [Fact]
    public void The_revision_as_a_whole_has_a_node_budget()
    {
        var limits = new YamlLimits { MaxNodesPerFile = 1000, MaxNodesPerRevision = 2500 };
        var files = new List<(string, string)> { Inventory };
        for (var i = 0; i < 5; i++)
        {
            files.Add(($"group_vars/g{i}.yml", string.Concat(Enumerable.Range(0, 300).Select(n => $"v{n}: {n}\n"))));
        }

        var result = FleetLoader.Load(Snapshots.Of([.. files]), new FleetLoadOptions { Limits = limits });
        var diagnostic = result.Single(DiagnosticCodes.YamlNodes);
        diagnostic.Message.ShouldStartWith("the revision's files hold more than 2500 YAML nodes together");
        result.Revision.ShouldBeNull();
    }

    [Fact]
    public void Anchors_and_aliases_within_the_limits_still_work_and_each_use_is_its_own_value()
    {
        var revision = Snapshots.Valid(Inventory, ("group_vars/all.yml", "base: &b {x: 1, list: [a, b]}\nfirst: *b\nsecond: *b\n"));
        var vars = revision.GroupVars["all"].Values;
        var first = (YamlMap)vars["first"]!;
        var second = (YamlMap)vars["second"]!;
        first["x"].ShouldBe(1L);
        ((YamlList)second["list"]!).ShouldBe(["a", "b"]);
        first.ShouldNotBeSameAs(second);
        first.KeyLocation("x").Line.ShouldBe(1, "a copy points at where the anchor wrote it");
    }

    [Theory]
    [InlineData("a: 1\na: 2\n", DiagnosticCodes.YamlSyntax, "group_vars/all.yml:2:1: error: duplicate key 'a' (first at line 1)")]
    [InlineData("a: 1\n---\nb: 2\n", DiagnosticCodes.YamlSyntax, "group_vars/all.yml:3:1: error: a fleet file holds one YAML document; found a second one")]
    [InlineData("? [x]\n: 1\nb: 2\n", DiagnosticCodes.WrongType, "group_vars/all.yml:1:3: error: mapping keys must be plain strings")]
    [InlineData("...\n*b\n", DiagnosticCodes.YamlSyntax, "group_vars/all.yml:1:1: error: YAML syntax error: The scanner should contain no more tokens.")]
    [InlineData("#c\n...\n- x\n", DiagnosticCodes.YamlSyntax, "group_vars/all.yml:")]
    // YamlDotNet raises ArgumentExceptions for these %TAG directives instead of YamlExceptions.
    [InlineData("%TAG !e! \n---\na: 1\n", DiagnosticCodes.YamlSyntax, "group_vars/all.yml:1:1: error: YAML syntax error: Tag prefix must not be empty. [yaml-syntax]")]
    [InlineData("%TAG !e! %00\n---\na: !e!b c\n", DiagnosticCodes.YamlSyntax, "group_vars/all.yml:3:1: error: YAML syntax error: Global tags must be valid URIs. [yaml-syntax]")]
    public void Malformed_structure_is_reported_where_it_is(string yaml, string code, string expected) =>
        LoadOne("group_vars/all.yml", yaml).Single(code).ToString().ShouldStartWith(expected);

    [Fact]
    public void A_load_past_its_time_budget_is_cancelled()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var big = string.Concat(Enumerable.Range(0, 5000).Select(n => $"v{n}: {n}\n"));
        Should.Throw<OperationCanceledException>(() =>
            FleetLoader.Load(Snapshots.Of(Inventory, ("group_vars/all.yml", big)), new FleetLoadOptions { CancellationToken = cancelled.Token }));
    }

    private static FleetLoadResult LoadOne(string file, string yaml) =>
        file == "inventory.yml"
            ? Snapshots.Load(("inventory.yml", yaml))
            : Snapshots.Load(Inventory, (file, yaml));
}
