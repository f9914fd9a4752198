using Gitfleet.Core.Diagnostics;
using Gitfleet.Core.Repository;
using Gitfleet.Core.Loading;
using Gitfleet.TestSupport;

namespace Gitfleet.Core.Tests.Validation;

/// <summary>One test per class of repository error, asserting the exact file:line:col.</summary>
public sealed class ValidationErrorTests
{
    private const string Device = "3fb4632b-96b9-475d-ac89-02255bd15b6f";
    private const string Images = """
        os_image:
          - device_type: pi4-v3-arm64
            image_name: img-pi4
        """;

    [Fact]
    public void Yaml_syntax_error_points_at_the_line()
    {
        var result = Snapshots.Load(("inventory.yml", "all:\n  hosts:\n    a: b: c\n  vars: {}\n"));
        var error = result.Single(DiagnosticCodes.YamlSyntax);
        error.Location!.File.ShouldBe("inventory.yml");
        error.Location.Line.ShouldBe(3);
        result.Revision.ShouldBeNull();
    }

    [Theory]
    [InlineData("all:\n  hosts:\n    a: [1, 2\n", "inventory.yml:3:8: error: YAML syntax error: this '[' list is not closed")]
    [InlineData("all:\n  vars:\n    configuration:\n      parameters: [unclosed\n", "inventory.yml:4:19: error: YAML syntax error: this '[' list is not closed")]
    [InlineData("all:\n  vars: {a: [1], b: 2\n\n", "inventory.yml:2:9: error: YAML syntax error: this '{' mapping is not closed")]
    public void An_unclosed_list_or_mapping_is_reported_where_it_opens(string inventory, string expected)
    {
        Snapshots.Load(("inventory.yml", inventory)).Single(DiagnosticCodes.YamlSyntax).ToString().ShouldStartWith(expected);
    }

    [Fact]
    public void Variable_files_ansible_would_not_read_are_reported()
    {
        var result = Snapshots.Load(
            ("inventory.yml", $"all:\n  children:\n    kiosks:\n      hosts:\n        {Device}:\n"),
            ("group_vars/kiosks/main.yml", "a: 1\n"),
            ("group_vars/kiosks.yml", "a: 2\n"),
            ($"host_vars/{Device}.yml", "b: 1\n"),
            ($"host_vars/{Device}.yaml", "b: 2\n"),
            ("group_vars/all.txt", "c: 1\n"));
        result.Lines().ShouldContain("group_vars/kiosks.yml:1:1: warning: ignored: group_vars/kiosks/ holds the variables of 'kiosks' (the first of kiosks/, kiosks, kiosks.yml, kiosks.yaml, kiosks.json is read, as Ansible reads it) [unknown-key]");
        result.Lines().ShouldContain(l => l.StartsWith($"host_vars/{Device}.yaml:1:1: warning: ignored: host_vars/{Device}.yml holds", StringComparison.Ordinal));
        result.Lines().ShouldContain("group_vars/all.txt:1:1: warning: ignored: group_vars files end in .yml, .yaml or .json (or have no extension) [unknown-key]");
        result.Revision!.GroupVars["kiosks"].Values["a"].ShouldBe(1L);
        result.Revision.HostVars[Device].Values["b"].ShouldBe(1L);
    }

    [Fact]
    public void Unknown_key_suggests_the_right_one()
    {
        var result = Snapshots.Load(("inventory.yml", $"all:\n  children:\n    pi4:\n      hots:\n        {Device}:\n"));
        var error = result.Single(DiagnosticCodes.UnknownKey);
        error.ToString().ShouldStartWith("inventory.yml:4:7: error: unknown key 'hots' in group 'pi4' (did you mean 'hosts'?)");
    }

    [Fact]
    public void Unknown_key_inside_os_image_entry()
    {
        var result = Snapshots.Load(
            ("inventory.yml", $"all:\n  hosts:\n    {Device}:\n"),
            ("group_vars/all.yml", "os_image:\n  - device_type: pi4\n    image: x\n"));
        result.Lines().ShouldContain(l => l.StartsWith("group_vars/all.yml:3:5: error: unknown key 'image' in an os_image entry (did you mean 'image_name'?)", StringComparison.Ordinal));
        result.Lines().ShouldContain(l => l.StartsWith("group_vars/all.yml:2:5: error: an os_image entry needs 'image_name'", StringComparison.Ordinal));
    }

    [Fact]
    public void Wrong_type_is_reported_where_the_value_is()
    {
        var result = Snapshots.Load(
            ("inventory.yml", $"all:\n  hosts:\n    {Device}:\n"),
            ("group_vars/all.yml", "subscribed_branch: main\nos_image:\n  device_type: pi4\n"));
        result.Single(DiagnosticCodes.WrongType).ToString()
            .ShouldStartWith("group_vars/all.yml:3:3: error: 'os_image' in the variables must be a list, not a mapping");
    }

    [Fact]
    public void Undefined_template_variable_points_into_the_template()
    {
        var result = Snapshots.Load(
            ("inventory.yml", $"all:\n  vars:\n    subscribed_branch: main\n  hosts:\n    {Device}:\n"),
            ("group_vars/all.yml", Images),
            ($"host_vars/{Device}.yml", "configuration:\n  template: kiosk.json\n  parameters:\n    kiosk_url: https://a\n"),
            ("templates/kiosk.json", "{\n  \"url\": \"{{kiosk_url}}\",\n  \"refresh\": \"{{kiosk_refresh}}\"\n}\n"));
        var error = result.Single(DiagnosticCodes.UndefinedTemplateVariable);
        error.Location.ShouldBe(new SourceLocation("templates/kiosk.json", 3, 15));
        error.Message.ShouldContain($"'kiosk_refresh' is not defined for device '{Device}'");
        error.Message.ShouldContain($"host_vars/{Device}.yml:1:1");
    }

    [Fact]
    public void Missing_template_points_at_the_template_name()
    {
        var result = Snapshots.Load(
            ("inventory.yml", $"all:\n  hosts:\n    {Device}:\n      subscribed_branch: main\n"),
            ($"host_vars/{Device}.yml", "configuration:\n  template: kiosk.jsn\n"),
            ("templates/kiosk.json", "{}"));
        result.Single(DiagnosticCodes.MissingTemplate).ToString()
            .ShouldStartWith($"host_vars/{Device}.yml:2:13: error: template 'kiosk.jsn' does not exist: expected templates/kiosk.jsn (did you mean 'kiosk.json'?)");
    }

    [Fact]
    public void Device_type_without_os_image_is_an_error()
    {
        var result = Snapshots.Load(
            ("inventory.yml", $"all:\n  children:\n    pi3:\n      vars:\n        device_type: pi3-arm64\n      hosts:\n        {Device}:\n"),
            ("group_vars/all.yml", Images));
        var error = result.Single(DiagnosticCodes.NoOsImage);
        error.Location.ShouldBe(new SourceLocation("inventory.yml", 5, 9));
        error.Message.ShouldContain("device type 'pi3-arm64' has no os_image entry");
        error.Message.ShouldContain("lists pi4-v3-arm64");
    }

    [Fact]
    public void Contradictory_images_for_one_device_type()
    {
        var result = Snapshots.Load(
            ("inventory.yml", $"all:\n  hosts:\n    {Device}:\n"),
            ("group_vars/all.yml", "os_image:\n  - device_type: pi4\n    image_name: a\n  - device_type: pi4\n    image_name: b\n"));
        var error = result.Single(DiagnosticCodes.Contradiction);
        error.ToString().ShouldStartWith("group_vars/all.yml:4:5: error: device type 'pi4' is given image 'b' here and 'a' at group_vars/all.yml:2:5");
    }

    [Fact]
    public void Identity_in_group_vars_is_contradictory()
    {
        var result = Snapshots.Load(
            ("inventory.yml", $"all:\n  hosts:\n    {Device}:\n"),
            ("group_vars/all.yml", "identity:\n  mac: 00:11\n"));
        result.Single(DiagnosticCodes.Contradiction).Location.ShouldBe(new SourceLocation("group_vars/all.yml", 1, 1));
    }

    [Fact]
    public void Invalid_device_id_unless_declared_by_identity()
    {
        var result = Snapshots.Load(("inventory.yml", "all:\n  hosts:\n    kiosk-1:\n    kiosk-2:\n      identity:\n        mac: 'dc:a6:32:01:02:03'\n"));
        var error = result.Single(DiagnosticCodes.InvalidDeviceId);
        error.ToString().ShouldStartWith("inventory.yml:3:5: error: 'kiosk-1' is not a device id");
    }

    [Fact]
    public void Two_hosts_with_the_same_identity()
    {
        var result = Snapshots.Load(("inventory.yml", "all:\n  hosts:\n    a:\n      identity: {mac: m1}\n    b:\n      identity: {mac: m1}\n"));
        result.Single(DiagnosticCodes.Contradiction).Message.ShouldContain("has the same identity as host 'a'");
    }

    [Theory]
    [InlineData("    matchExpressions:\n      - {key: tags.site, operator: Equals, values: [a]}\n", 6, "operator must be one of In, NotIn, Exists, DoesNotExist; got 'Equals'")]
    [InlineData("    matchExpressions:\n      - {key: tags.site, operator: In}\n", 6, "operator In needs a non-empty 'values' list")]
    [InlineData("    matchExpressions:\n      - {key: tags.site, operator: Exists, values: [a]}\n", 6, "operator Exists takes no 'values'")]
    [InlineData("    matchLabels:\n      devicetype: pi4\n", 6, "'devicetype' is not a device fact a dynamic group can select on (did you mean 'device_type'?)")]
    [InlineData("    groups: [pi4]\n", 5, "unknown selector key 'groups' (group membership is not selectable here")]
    public void Malformed_selector_of_a_dynamic_group(string selector, int line, string message)
    {
        var result = Snapshots.Load(("inventory.yml", "all:\n  children:\n    field:\n      selector:\n" + IndentBy(selector, 4)));
        var error = result.Single(DiagnosticCodes.MalformedSelector);
        error.Location!.Line.ShouldBe(line);
        error.Message.ShouldContain(message);
    }

    [Fact]
    public void Malformed_selector_of_an_overlay()
    {
        var result = Snapshots.Load(
            ("inventory.yml", $"all:\n  hosts:\n    {Device}:\n"),
            ("overlays/x.yml", "selector:\n  matchLabel:\n    site: a\nvars:\n  a: 1\n"));
        result.Single(DiagnosticCodes.MalformedSelector).ToString()
            .ShouldStartWith("overlays/x.yml:2:3: error: unknown selector key 'matchLabel' (did you mean 'matchLabels'?)");
    }

    [Fact]
    public void Group_cycle()
    {
        var result = Snapshots.Load(("inventory.yml", "all:\n  children:\n    a:\n      children:\n        b:\n          children:\n            a:\n"));
        result.Single(DiagnosticCodes.GroupCycle).Message.ShouldContain("group 'a' is its own ancestor");
    }

    [Theory]
    [InlineData("soak: 10 minutes", "'soak' in the rollout of branch 'production' must be a duration")]
    [InlineData("waves: [10%, 5%, 100%]", "waves are cumulative and must grow: 5% follows 10%")]
    [InlineData("waves: [10%, 50%]", "the last wave must be 100%")]
    [InlineData("failureThreshold: 120%", "failureThreshold must be a device count (50, at most 10000000) or a percentage from 0% to 100%")]
    [InlineData("retries: -1", "'retries' in the rollout of branch 'production' must be a whole number from 0 to 100")]
    [InlineData("retries: 101", "'retries' in the rollout of branch 'production' must be a whole number from 0 to 100")]
    [InlineData("maxConcurrent: 99999999999", "'maxConcurrent' in the rollout of branch 'production' must be a whole number from 1 to 10000000")]
    [InlineData("soak: 10675199d", "'soak' in the rollout of branch 'production' is longer than the maximum duration of 365d")]
    [InlineData("soak: 99999999999d", "'soak' in the rollout of branch 'production' is longer than the maximum duration of 365d")]
    [InlineData("soak: 1e400s", "'soak' in the rollout of branch 'production' must be a duration")]
    [InlineData("offlineTimeout: 365d1s", "'offlineTimeout' in the rollout of branch 'production' is longer than the maximum duration of 365d")]
    [InlineData("waves: [20000000, 100%]", "a wave must be a device count (50, at most 10000000)")]
    [InlineData("failureThreshold: 99999999999", "failureThreshold must be a device count (50, at most 10000000)")]
    [InlineData("byteBudget: {perHour: lots}", "'perHour' in the byte budget of branch 'production' must be a positive byte count such as 500MB")]
    [InlineData("byteBudget: {perWeek: 5GB}", "unknown key 'perWeek' in the byte budget of branch 'production'")]
    public void Invalid_rollout_values(string setting, string message)
    {
        var result = Snapshots.Load(
            ("inventory.yml", $"all:\n  hosts:\n    {Device}:\n"),
            ("gitfleet.yml", $"branches:\n  production:\n    rollout:\n      {setting}\n"));
        var error = result.Diagnostics.Single(d => d.IsError);
        error.Location!.File.ShouldBe("gitfleet.yml");
        error.Location.Line.ShouldBe(4);
        error.Message.ShouldContain(message);
    }

    [Fact]
    public void Missing_inventory()
    {
        var result = Snapshots.Load(("group_vars/all.yml", "a: 1\n"));
        result.Single(DiagnosticCodes.MissingInventory).ToString().ShouldStartWith("inventory.yml:1:1: error: the repository has no inventory.yml");
    }

    [Fact]
    public void Unreadable_file_is_an_encoding_error()
    {
        var snapshot = Snapshots.Of(("inventory.yml", "all:\n")) with
        {
            UnreadableFiles = new Dictionary<string, string> { ["host_vars/x.yml"] = "file is not UTF-8 text" },
        };
        FleetLoader.Load(snapshot).Single(DiagnosticCodes.Encoding).ToString().ShouldBe("host_vars/x.yml:1:1: error: file is not UTF-8 text [encoding]");
    }

    [Fact]
    public void Template_syntax_error()
    {
        var result = Snapshots.Load(
            ("inventory.yml", $"all:\n  hosts:\n    {Device}:\n"),
            ("templates/bad.json", "{ \"a\": \"{{#if x}}\" }"));
        result.Single(DiagnosticCodes.TemplateSyntax).Location!.File.ShouldBe("templates/bad.json");
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var result = Snapshots.Load(
            ("inventory.yml", "all:\n  hots: {}\n  children:\n    g:\n      selector:\n        matchLabels: {nope: 1}\n"),
            ("group_vars/all.yml", "os_image: 3\n"),
            ("gitfleet.yml", "branches:\n  main:\n    correctdrift: true\n"));
        result.Diagnostics.Count(d => d.IsError).ShouldBe(4);
        result.Lines().ShouldBe(result.Lines().OrderBy(l => l, StringComparer.Ordinal).ToList(), "diagnostics are sorted by file and position");
    }

    [Fact]
    public void Misspelt_reserved_variable_is_a_warning()
    {
        var result = Snapshots.Load(
            ("inventory.yml", $"all:\n  hosts:\n    {Device}:\n      subscribed_brnach: main\n      subscribed_branch: main\n"));
        var warning = result.Single(DiagnosticCodes.SuspiciousVariable);
        warning.Severity.ShouldBe(Severity.Warning);
        warning.Message.ShouldContain("did you mean the reserved variable 'subscribed_branch'?");
        result.Revision.ShouldNotBeNull();
    }

    [Fact]
    public void Unknown_branch_is_a_warning_with_a_suggestion()
    {
        var snapshot = Snapshots.Of(("inventory.yml", $"all:\n  vars:\n    subscribed_branch: prodution\n  hosts:\n    {Device}:\n"));
        var result = FleetLoader.Load(snapshot, new FleetLoadOptions { KnownBranches = ["main", "canary", "production"] });
        var warning = result.Single(DiagnosticCodes.UnknownBranch);
        warning.ToString().ShouldStartWith("inventory.yml:3:5: warning: subscribed_branch 'prodution' is not a branch of this repository (did you mean 'production'?)");
    }

    [Fact]
    public void A_static_host_may_get_its_branch_from_a_dynamic_group()
    {
        var inventory = $$"""
            all:
              children:
                kiosks:
                  hosts:
                    {{Device}}:
                ring_production:
                  selector:
                    matchLabels: {tags.ring: production}
                  vars:
                    subscribed_branch: production
            """;
        var options = new FleetLoadOptions { KnownBranches = ["main", "production"] };
        FleetLoader.Load(Snapshots.Of(("inventory.yml", inventory)), options).Diagnostics.ShouldBeEmpty();
        var unsubscribed = inventory.Replace("subscribed_branch: production", "refresh: 5", StringComparison.Ordinal);
        FleetLoader.Load(Snapshots.Of(("inventory.yml", unsubscribed)), options).Single(DiagnosticCodes.UnknownBranch).Message.ShouldContain("has no subscribed_branch");
    }

    [Fact]
    public void Garbage_input_never_throws()
    {
        var random = new Random(1234);
        var alphabet = "ab:- \n\t{}[]'\"#&*!|>%@`,?~0123456789".ToCharArray();
        for (var i = 0; i < 300; i++)
        {
            var text = new string(Enumerable.Range(0, random.Next(1, 200)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
            var result = Snapshots.Load(("inventory.yml", text), ("group_vars/all.yml", text), ("overlays/o.yml", text), ("gitfleet.yml", text), ("templates/t.json", text));
            result.Diagnostics.ShouldNotContain(d => d.Code == "internal", $"input: {text}");
        }
    }

    private static string IndentBy(string text, int spaces) =>
        string.Join('\n', text.Split('\n').Select(l => l.Length == 0 ? l : new string(' ', spaces) + l));
}

public sealed class DynamicMembershipValidationTests
{
    [Fact]
    public void Variables_from_dynamic_groups_may_be_used_by_devices_named_only_in_host_vars()
    {
        const string Id = "aaaaaaaa-0000-4000-8000-000000000001";
        var result = Snapshots.Load(
            ("inventory.yml", "all:\n  children:\n    pi4s:\n      selector:\n        matchLabels: {device_type: pi4}\n      vars: {hardware: pi4, subscribed_branch: main}\n"),
            ("group_vars/all.yml", "os_image: [{device_type: pi4, image_name: x}]\n"),
            ($"host_vars/{Id}.yml", "configuration:\n  template: t.json\n"),
            ("templates/t.json", "{\"h\": \"{{hardware}}\", \"m\": \"{{missing}}\"}"));
        var error = result.Single(Gitfleet.Core.Diagnostics.DiagnosticCodes.UndefinedTemplateVariable);
        error.Message.ShouldContain("'missing' is not defined");
    }
}
