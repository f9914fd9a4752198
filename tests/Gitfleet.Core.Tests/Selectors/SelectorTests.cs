using Gitfleet.Core.Facts;
using Gitfleet.Core.Selectors;

namespace Gitfleet.Core.Tests.Selectors;

public sealed class SelectorTests
{
    private static readonly Dictionary<string, string> Labels = new() { ["site"] = "zurich", ["tier"] = "gold" };

    [Theory]
    [InlineData(SelectorOperator.In, new[] { "zurich", "bern" }, "site", true)]
    [InlineData(SelectorOperator.In, new[] { "bern" }, "site", false)]
    [InlineData(SelectorOperator.In, new[] { "x" }, "missing", false)]
    [InlineData(SelectorOperator.NotIn, new[] { "bern" }, "site", true)]
    [InlineData(SelectorOperator.NotIn, new[] { "zurich" }, "site", false)]
    [InlineData(SelectorOperator.NotIn, new[] { "x" }, "missing", true)]
    [InlineData(SelectorOperator.Exists, new string[0], "tier", true)]
    [InlineData(SelectorOperator.Exists, new string[0], "missing", false)]
    [InlineData(SelectorOperator.DoesNotExist, new string[0], "missing", true)]
    [InlineData(SelectorOperator.DoesNotExist, new string[0], "tier", false)]
    public void Expressions_follow_kubernetes_semantics(SelectorOperator op, string[] values, string key, bool expected) =>
        new SelectorRequirement(key, op, values).Matches(Labels.GetValueOrDefault).ShouldBe(expected);

    [Fact]
    public void All_parts_must_match()
    {
        var selector = new Selector(
            new Dictionary<string, string> { ["site"] = "zurich" },
            [new SelectorRequirement("tier", SelectorOperator.In, ["gold"])],
            ["kiosks"]);
        selector.Matches(Labels.GetValueOrDefault, g => g == "kiosks").ShouldBeTrue();
        selector.Matches(Labels.GetValueOrDefault, g => g == "gateways").ShouldBeFalse();
        selector.Matches(k => k == "site" ? "bern" : Labels.GetValueOrDefault(k), _ => true).ShouldBeFalse();
        Selector.Everything.Matches(_ => null).ShouldBeTrue();
    }

    [Fact]
    public void Fact_labels_read_the_device_facts()
    {
        var facts = new DeviceFacts
        {
            Id = "d1",
            DeviceType = "pi4",
            ArtifactName = "img",
            Tags = new Dictionary<string, string> { ["site"] = "zurich" },
            Attributes = new Dictionary<string, string> { ["kernel"] = "6.1" },
            Identity = new Dictionary<string, string> { ["mac"] = "m" },
        };
        FactLabels.Lookup(facts, "device_type").ShouldBe("pi4");
        FactLabels.Lookup(facts, "tags.site").ShouldBe("zurich");
        FactLabels.Lookup(facts, "attributes.kernel").ShouldBe("6.1");
        FactLabels.Lookup(facts, "identity.mac").ShouldBe("m");
        FactLabels.Lookup(facts, "status").ShouldBe("accepted");
        FactLabels.Lookup(facts, "tags.none").ShouldBeNull();
        FactLabels.Validate("tags.site").ShouldBeNull();
        FactLabels.Validate("tag.site").ShouldNotBeNull();
    }
}
