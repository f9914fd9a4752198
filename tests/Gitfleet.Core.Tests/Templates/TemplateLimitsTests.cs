using System.Text;
using Gitfleet.Core.Diagnostics;
using Gitfleet.Core.Facts;
using Gitfleet.Core.Planning;
using Gitfleet.Core.Templates;
using Gitfleet.TestSupport;

namespace Gitfleet.Core.Tests.Templates;

/// <summary>
/// Issue 10, item 2 (templates): a template that multiplies loops validated cleanly and then grew `plan` past 5.8 GB.
/// Each render is now bounded in output, steps and time; exceeding one is a render-failed problem for the devices
/// concerned, and `validate` reports it for a representative device.
/// </summary>
public sealed class TemplateLimitsTests
{
    private const string Device = "3fb4632b-96b9-475d-ac89-02255bd15b6f";
    private const string ThreeLoops = HostileInput.LoopingTemplate;
    private static readonly List<object?> TwoThousand = [.. Enumerable.Range(0, 2000).Select(i => (object?)(long)i)];

    [Fact]
    public void Nested_loops_that_write_stop_at_the_output_limit()
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Should.Throw<TemplateLimitException>(() => new TemplateEngine().Render(ThreeLoops, new Dictionary<string, object?> { ["l"] = TwoThousand }, _ => null, out _));
        error.Message.ShouldBe("the output for one device exceeds the limit of 65536 characters");
        (GC.GetAllocatedBytesForCurrentThread() - before).ShouldBeLessThan(64L << 20);
    }

    [Fact]
    public void Nested_loops_that_write_nothing_stop_at_the_step_limit()
    {
        var silent = "{{#each l}}{{#each @root.l}}{{#each @root.l}}{{/each}}{{/each}}{{/each}}";
        var error = Should.Throw<TemplateLimitException>(() => new TemplateEngine().Render(silent, new Dictionary<string, object?> { ["l"] = TwoThousand }, _ => null, out _));
        error.Message.ShouldBe("rendering takes more than 1000000 steps (loop iterations and writes) for one device");
    }

    [Fact]
    public void Loops_over_maps_are_counted_too()
    {
        var map = Enumerable.Range(0, 2000).ToDictionary(i => $"k{i}", i => (object?)(long)i);
        var silent = "{{#each m}}{{#each ../m}}{{#each ../../m}}{{/each}}{{/each}}{{/each}}";
        Should.Throw<TemplateLimitException>(() => new TemplateEngine().Render(silent, new Dictionary<string, object?> { ["m"] = map }, _ => null, out _));
    }

    [Fact]
    public void A_render_past_its_time_is_stopped_with_the_clock_it_was_given()
    {
        var engine = new TemplateEngine(TemplateLimits.Default with { MaxSteps = long.MaxValue }, new SteppingClock(TimeSpan.FromMilliseconds(50)));
        var list = Enumerable.Range(0, 100).Select(i => (object?)(long)i).ToList();
        var error = Should.Throw<TemplateLimitException>(() =>
            engine.Render("{{#each l}}{{#each @root.l}}{{/each}}{{/each}}", new Dictionary<string, object?> { ["l"] = list }, _ => null, out _));
        error.Message.ShouldBe("rendering takes longer than 1 s for one device");
    }

    [Theory]
    [InlineData(100)]
    [InlineData(100_000)]
    public void Deeply_nested_blocks_are_refused_before_compiling(int depth)
    {
        var source = new StringBuilder();
        source.Insert(0, "{{#if a}}", depth).Append('x').Insert(source.Length, "{{/if}}", depth);
        var error = Should.Throw<TemplateSyntaxException>(() => new TemplateEngine().Compile(source.ToString()));
        error.Message.ShouldStartWith("blocks and subexpressions nest deeper than 64 levels");
    }

    [Fact]
    public void Deeply_nested_subexpressions_are_refused_before_compiling()
    {
        var source = "{{json " + new string('(', 10_000) + "json a" + new string(')', 10_000) + "}}";
        Should.Throw<TemplateSyntaxException>(() => new TemplateEngine().Compile(source));
    }

    [Fact]
    public void A_recursive_inline_partial_fails_the_render_not_the_process()
    {
        Should.Throw<Exception>(() => new TemplateEngine().Render("{{#*inline \"p\"}}{{> p}}{{> p}}{{/inline}}{{> p}}", new Dictionary<string, object?>(), _ => null, out _));
    }

    [Fact]
    public void Plan_reports_render_failed_for_the_device_and_validate_reports_the_template()
    {
        var files = new (string, string)[]
        {
            ("inventory.yml", $"all:\n  vars: {{subscribed_branch: main, device_type: pi4}}\n  hosts:\n    {Device}:\n"),
            ("group_vars/all.yml", "os_image: [{device_type: pi4, image_name: v2}]\nconfiguration: {template: app.json}\n" + HostileInput.TwoThousandItems),
            ("templates/app.json", ThreeLoops),
        };
        var result = Snapshots.Load(files);
        var diagnostic = result.Single(DiagnosticCodes.TemplateLimit);
        diagnostic.ToString().ShouldStartWith($"templates/app.json:1:1: error: template 'app.json' goes past its render limits for device '{Device}': the output for one device exceeds the limit of 65536 characters");

        var revision = FleetLoaderWithoutValidation(files);
        var plan = Planner.Plan(new PlanRequest { Branch = "main", Revision = revision, Facts = [new DeviceFacts { Id = Device, DeviceType = "pi4", ArtifactName = "v1" }] });
        var problem = plan.Devices.Single().Problems.Single();
        problem.Code.ShouldBe(PlanProblemCodes.RenderFailed);
        problem.Message.ShouldContain("exceeds the limit of 65536 characters");
    }

    /// <summary>The revision as the planner would get it if validation had passed (a template past its limits for some devices only).</summary>
    private static Fleet.FleetRevision FleetLoaderWithoutValidation((string, string)[] files)
    {
        var diagnostics = new List<Diagnostic>();
        return global::Gitfleet.Core.Loading.FleetParser.Parse(Snapshots.Of(files), diagnostics);
    }

    /// <summary>A clock that moves forward by a fixed step each time it is read.</summary>
    private sealed class SteppingClock(TimeSpan step) : TimeProvider
    {
        private long now;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => now += step.Ticks;
    }
}
