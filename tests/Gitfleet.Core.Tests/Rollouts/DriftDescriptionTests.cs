using Gitfleet.Core.Planning;
using Gitfleet.Core.Rollouts;

namespace Gitfleet.Core.Tests.Rollouts;

/// <summary>What differs between a device and its desired state, in words: keys, never values.</summary>
public sealed class DriftDescriptionTests
{
    [Theory]
    [InlineData(ActionKind.None, 0, ActionKind.None, "differs from the desired state")]
    [InlineData(ActionKind.Update, 0, ActionKind.None, "runs img-1, git wants img-2")]
    [InlineData(ActionKind.None, 2, ActionKind.Update, "its configuration differs in k0, k1")]
    [InlineData(ActionKind.None, 7, ActionKind.Update, "its configuration differs in k0, k1, k2, k3, k4 and 2 more")]
    [InlineData(ActionKind.None, 0, ActionKind.Update, "its configuration differs")]
    [InlineData(ActionKind.Update, 0, ActionKind.Update, "runs img-1, git wants img-2")]
    [InlineData(ActionKind.Update, 1, ActionKind.Update, "runs img-1, git wants img-2; its configuration differs in k0")]
    public void Drift_names_the_image_and_the_configuration_keys(ActionKind os, int keys, ActionKind configuration, string expected)
    {
        var changes = Enumerable.Range(0, keys).Select(k => new ConfigKeyChange($"k{k}", ChangeKind.Changed, "secret-old", "secret-new", true)).ToList();
        var evaluation = new DeviceEvaluation(null, new OsAction(os, "img-1", "img-2", []), new ConfigAction(configuration, changes, null, []));

        var description = DriftDescription.Of(evaluation, "img-2");

        description.ShouldBe(expected);
        description.ShouldNotContain("secret");
    }
}
