using Gitfleet.Core.Facts;
using Gitfleet.Core.Selectors;

namespace Gitfleet.Core.Tests.Selectors;

/// <summary>A selector compiled for facts matches exactly the devices the selector matches through <see cref="FactLabels"/>.</summary>
public sealed class FactSelectorTests
{
    private static readonly DeviceFacts[] Devices =
    [
        new() { Id = "d1", DeviceType = "pi4", ArtifactName = "img-1", Tags = new Dictionary<string, string> { ["site"] = "zurich", ["ring"] = "canary" } },
        new() { Id = "d2", DeviceType = "pi3", Status = DeviceStatus.Pending, Attributes = new Dictionary<string, string> { ["kernel"] = "6.1" } },
        new() { Id = "d3", DeviceType = "pi4", Identity = new Dictionary<string, string> { ["mac"] = "m3" }, Tags = new Dictionary<string, string> { ["site"] = "bern" } },
        new() { Id = "d4" },
    ];

    public static TheoryData<Selector> Selectors => new()
    {
        Selector.Everything,
        new Selector(new Dictionary<string, string> { ["device_type"] = "pi4" }, [], []),
        new Selector(new Dictionary<string, string> { ["device_type"] = "pi4", ["tags.site"] = "zurich" }, [], []),
        new Selector(new Dictionary<string, string> { ["status"] = "pending", ["attributes.kernel"] = "6.1" }, [], []),
        new Selector(new Dictionary<string, string> { ["identity.mac"] = "m3", ["id"] = "d3" }, [], []),
        new Selector(new Dictionary<string, string> { ["artifact_name"] = "img-1" }, [], []),
        new Selector(new Dictionary<string, string>(), [new SelectorRequirement("tags.site", SelectorOperator.In, ["zurich", "bern"])], []),
        new Selector(new Dictionary<string, string>(), [new SelectorRequirement("tags.site", SelectorOperator.NotIn, ["zurich"])], []),
        new Selector(new Dictionary<string, string>(), [new SelectorRequirement("tags.ring", SelectorOperator.Exists, [])], []),
        new Selector(new Dictionary<string, string>(), [new SelectorRequirement("tags.ring", SelectorOperator.DoesNotExist, [])], []),
        new Selector(new Dictionary<string, string> { ["device_type"] = "pi4" }, [new SelectorRequirement("tags.site", SelectorOperator.NotIn, ["bern"])], []),
        new Selector(new Dictionary<string, string> { ["unknown"] = "x" }, [], []),
        new Selector(new Dictionary<string, string> { ["device_type"] = "pi4" }, [], ["kiosks"]),
    };

    [Theory]
    [MemberData(nameof(Selectors))]
    public void Matches_the_devices_the_selector_matches(Selector selector)
    {
        var compiled = new FactSelector(selector);
        foreach (var device in Devices)
        {
            compiled.Matches(device).ShouldBe(selector.Matches(FactLabels.For(device)), device.Id);
        }
    }

    [Fact]
    public void Tests_what_it_says()
    {
        var pi4InZurich = new FactSelector(new Selector(new Dictionary<string, string> { ["device_type"] = "pi4", ["tags.site"] = "zurich" }, [], []));
        Devices.Where(pi4InZurich.Matches).Select(d => d.Id).ShouldBe(["d1"]);
        var notZurich = new FactSelector(new Selector(new Dictionary<string, string>(), [new SelectorRequirement("tags.site", SelectorOperator.NotIn, ["zurich"])], []));
        Devices.Where(notZurich.Matches).Select(d => d.Id).ShouldBe(["d2", "d3", "d4"]);
    }
}
