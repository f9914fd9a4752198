using Gitfleet.Core.Facts;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Planning;
using Gitfleet.Core.Templates;
using Gitfleet.TestSupport;

namespace Gitfleet.Fuzz.Tests.Templates;

/// <summary>
/// Whatever a template says, planning a device with it ends with a configuration within the output limit or a
/// render-failed problem: never an exception out of the planner, never unbounded output or allocation. Templates are
/// built from Handlebars fragments (blocks, loops over large lists and maps, paths, helpers, partials, subexpressions).
/// </summary>
public sealed class TemplateFuzzTests
{
    private const string Device = "3fb4632b-96b9-475d-ac89-02255bd15b6f";
    private const long AllocationBound = 256L * 1024 * 1024;

    private static readonly string[] Fragments =
    [
        "{{", "}}", "{{{", "}}}", "{{#each big}}", "{{#each @root.big}}", "{{#each m}}", "{{/each}}", "{{#if s}}", "{{else}}", "{{/if}}",
        "{{#with nested}}", "{{/with}}", "{{#unless n}}", "{{/unless}}", "{{this}}", "{{@index}}", "{{@key}}", "{{../s}}", "{{s}}", "{{n}}",
        "{{json big}}", "{{json m}}", "{{json nested}}", "{{env \"SECRET\"}}", "{{env \"MISSING\"}}", "{{env}}", "{{lookup m \"k1\"}}",
        "{{> p}}", "{{#*inline \"p\"}}", "{{/inline}}", "{{#> p}}", "{{!-- c --}}", "{{! c}}", "(", ")", "{{json (json (json s))}}",
        "{{gitfleet.device_id}}", "{{undefined}}", "\"", "{", "}", ":", ",", "\"k\": ", "x", "\\", "\n", "{{~", "~}}", "{{^", "{{/",
        "{{#each nested.l}}", "{{#each big}}{{#each @root.big}}", "{{/each}}{{/each}}",
    ];

    private static readonly Gen<string> Template =
        Gen.Int[0, Fragments.Length - 1].Array[0, 60].Select(picks => string.Concat(picks.Select(i => Fragments[i])));

    [Fact]
    public void Planning_with_any_template_ends_in_a_bounded_configuration_or_a_render_failed_problem()
    {
        var revision = Snapshots.Valid(
            ("inventory.yml", $"all:\n  vars: {{subscribed_branch: main, device_type: pi4}}\n  hosts:\n    {Device}:\n"),
            ("group_vars/all.yml", "os_image: [{device_type: pi4, image_name: v2}]\nconfiguration: {template: app.json}\n" + HostileInput.TwoThousandItems.Replace("l:", "big:", StringComparison.Ordinal)
                + "m: {" + string.Join(", ", Enumerable.Range(0, 50).Select(i => $"k{i}: v{i}")) + "}\ns: text\nn: 5\nnested: {l: [1, 2, 3], m: {a: b}}\n"),
            ("templates/app.json", "{\"ok\": \"{{s}}\"}"));
        var facts = new DeviceFacts { Id = Device, DeviceType = "pi4", ArtifactName = "v1" };
        Template.Sample(source =>
        {
            var fuzzed = revision with { Templates = new Dictionary<string, ConfigurationTemplate>(StringComparer.Ordinal) { ["app.json"] = new("app.json", "templates/app.json", source) } };
            var before = GC.GetAllocatedBytesForCurrentThread();
            var plan = Planner.Plan(new PlanRequest
            {
                Branch = "main",
                Revision = fuzzed,
                Facts = [facts],
                Secrets = name => name == "SECRET" ? "s3cr3t" : null,
                Clock = TimeProvider.System,
            });
            (GC.GetAllocatedBytesForCurrentThread() - before).ShouldBeLessThan(AllocationBound);
            var device = plan.Devices.ShouldHaveSingleItem();
            if (device.Configuration.Desired is { } desired)
            {
                desired.Values.Sum(kv => kv.Key.Length + kv.Value.Length).ShouldBeLessThan(TemplateLimits.Default.MaxOutputChars + 1024);
            }
            else
            {
                device.Problems.ShouldNotBeEmpty(source);
                device.Problems.ShouldAllBe(p => p.Code == PlanProblemCodes.RenderFailed, source);
            }
        }, seed: FuzzTime.Seed, time: FuzzTime.Seconds(12), iter: 2_000_000, threads: 1);
    }
}
