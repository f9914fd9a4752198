using Gitfleet.Core.Templates;

namespace Gitfleet.Core.Tests.Templates;

public sealed class TemplateTests
{
    private static readonly TemplateEngine Engine = new();

    private static string Render(string template, Dictionary<string, object?> context, Func<string, string?>? secrets = null) =>
        Engine.Render(template, context, secrets ?? (_ => null), out _);

    [Fact]
    public void Values_are_escaped_for_json_strings_not_html()
    {
        var text = Render("{\"a\": \"{{v}}\"}", new() { ["v"] = "say \"hi\" <b> & \\ \n" });
        ConfigurationFlattener.Flatten(text, out var error)!["a"].ShouldBe("say \"hi\" <b> & \\ \n", error);
    }

    [Fact]
    public void Scalars_print_as_json_and_yaml_write_them()
    {
        Render("{{b}} {{f}} {{l}} {{d}}", new() { ["b"] = true, ["f"] = false, ["l"] = 42L, ["d"] = 1.5 }).ShouldBe("true false 42 1.5");
    }

    [Fact]
    public void Json_helper_writes_lists_and_maps()
    {
        // A space before the object's closing brace: "}}}" would end a triple-stash.
        var text = Render("{\"servers\": {{json s}}, \"m\": {{json m}} }", new()
        {
            ["s"] = new List<object?> { "a", 1L },
            ["m"] = new Dictionary<string, object?> { ["x"] = true },
        });
        var map = ConfigurationFlattener.Flatten(text, out _)!;
        map["servers"].ShouldBe("[\"a\",1]");
        map["m.x"].ShouldBe("true");
    }

    [Fact]
    public void Undefined_variables_are_errors_not_empty_strings()
    {
        Should.Throw<Exception>(() => Render("{{missing}}", []));
    }

    [Fact]
    public void Env_helper_reads_secrets_and_reports_missing_ones()
    {
        Engine.Render("{{env \"TOKEN\"}}-{{env \"OTHER\"}}", new Dictionary<string, object?>(), n => n == "TOKEN" ? "s3cr3t" : null, out var scope);
        scope.SecretValues.ShouldBe(["s3cr3t"]);
        scope.MissingSecrets.ShouldBe(["OTHER"]);
    }

    [Fact]
    public void Flattening_nests_with_dots_and_rejects_non_objects()
    {
        var map = ConfigurationFlattener.Flatten("{\"a\": {\"b\": {\"c\": 1}}, \"n\": null, \"t\": true}", out _)!;
        map.ShouldBe(new Dictionary<string, string> { ["a.b.c"] = "1", ["n"] = "", ["t"] = "true" }, ignoreOrder: true);
        ConfigurationFlattener.Flatten("[1]", out var error).ShouldBeNull();
        error.ShouldNotBeNull().ShouldContain("must be a JSON object");
        ConfigurationFlattener.Flatten("{\"a\": }", out error).ShouldBeNull();
        error.ShouldNotBeNull().ShouldContain("not valid JSON at line 1");
        ConfigurationFlattener.Flatten("{\"a.b\": 1, \"a\": {\"b\": 2}}", out error).ShouldBeNull();
        error.ShouldNotBeNull().ShouldContain("sets 'a.b' twice");
    }

    [Fact]
    public void Reference_scanner_finds_top_level_variables_with_positions()
    {
        var references = TemplateReferenceScanner.Scan("""
            {
              "a": "{{url}}",
              "b": "{{env "TOKEN"}}", "c": {{json servers.primary}},
              {{#if debug}}"d": "{{level}}",{{/if}}
              {{#each items}}"{{@key}}": "{{this.name}} {{name}}",{{/each}}
              {{! a comment {{ignored}} }}
              "e": "{{lookup map key}}"
            }
            """);
        references.Select(r => (r.Name, r.Line, r.Column)).ShouldBe(
        [
            ("url", 2, 9),
            ("servers", 3, 32),
            ("debug", 4, 3),
            ("level", 4, 22),
            ("items", 5, 3),
            ("map", 7, 9),
            ("key", 7, 9),
        ]);
    }

    [Theory]
    [InlineData("{{a}} {{b.c}} {{#each list}}{{x}}{{../d}}{{/each}} {{#with m}}{{y}}{{@root.e}}{{/with}}", "a b d e list m", "")]
    [InlineData("{{json (lookup f g)}} {{#if h}}{{i}}{{else if j}}{{k}}{{else}}{{l}}{{/if}} {{[n]}} {{this.o}}", "f g h i j k l n o", "")]
    [InlineData("\"https://updates.gitfleet.example.com/{{gitfleet.image}}\" {{gitfleet.branch}} {{gitfleet.device_type}} {{gitfleet.commit}}", "", "")]
    [InlineData("{{url}} {{gitfleet.device_id}}", "url", "device_id")]
    [InlineData("{{gitfleet.host}}", "", "host")]
    [InlineData("{{#with gitfleet}}{{image}}{{/with}}", "", "device_id host")]
    [InlineData("{{json gitfleet}}", "", "device_id host")]
    [InlineData("{{#each list}}{{#each this}}{{../../gitfleet.device_id}}{{/each}}{{/each}}", "list", "device_id")]
    [InlineData("{{json this}}", "", "everything")]
    [InlineData("{{lookup . \"a\"}}", "", "everything")]
    [InlineData("{{#with m}}{{@root}}{{/with}}", "m", "everything")]
    [InlineData("{{> partial}}", "", "everything")]
    public void Inputs_name_everything_a_render_depends_on(string template, string variables, string device)
    {
        var inputs = TemplateReferenceScanner.Inputs(template);
        inputs.Variables.Order(StringComparer.Ordinal).ShouldBe(variables.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        inputs.DeviceId.ShouldBe(device.Contains("device_id", StringComparison.Ordinal));
        inputs.Host.ShouldBe(device.Contains("host", StringComparison.Ordinal));
        inputs.Everything.ShouldBe(device == "everything");
        inputs.PerDevice.ShouldBe(device.Length > 0);
    }
}

