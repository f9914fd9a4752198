using Gitfleet.Core.Facts;
using Gitfleet.Core.Rollouts;
using static Gitfleet.Core.Tests.Rollouts.Steps.RolloutWorkFixture;

namespace Gitfleet.Core.Tests.Rollouts.Steps;

/// <summary>One decision's deployments: grouped by image and configuration, OS first, parts in device order, artifacts by device type.</summary>
public sealed class DeploymentBatchTests
{
    private static readonly IReadOnlyList<ImageArtifact> Candidates = [new("art-pi4", ["pi4"]), new("art-both", ["pi4", "rpi3"])];

    [Fact]
    public void Devices_of_one_image_share_one_deployment_and_each_gets_the_artifact_of_its_device_type()
    {
        var batch = new DeploymentBatch(Target(Wants("a"), Wants("b"), Wants("c")), SequentialIds());

        var first = batch.AddOs("img-2", "c", "pi4", Candidates);
        batch.AddOs("img-2", "a", "rpi3", Candidates).ShouldBe(first);
        batch.AddOs("img-2", "b", null, Candidates).ShouldBe(first);
        batch.AddOs("img-3", "d", "x86", Candidates).ShouldNotBe(first);

        var deployments = batch.Build();
        deployments.Select(d => d.ArtifactName).ShouldBe(["img-2", "img-3"]);
        deployments[0].Devices.Select(p => (p.DeviceId, p.ArtifactId)).ShouldBe([("a", "art-both"), ("b", (string?)null), ("c", "art-pi4")]);
        deployments[1].Devices.ShouldHaveSingleItem().ArtifactId.ShouldBeNull("no artifact for the device type: the device reports noartifact");
        deployments.SelectMany(d => d.Devices.Select(p => p.Id)).Append(deployments[0].Id).Append(deployments[1].Id).Distinct().Count().ShouldBe(6, "every id is new");
        batch.DeviceIds.Order(StringComparer.Ordinal).ShouldBe(["a", "b", "c", "d"]);
        batch.Configured.ShouldBeEmpty();
    }

    [Fact]
    public void Os_deployments_come_before_configurations_whatever_the_order_they_were_added_in()
    {
        var batch = new DeploymentBatch(Target(Wants("a", configured: true)), SequentialIds());

        var configuration = batch.AddConfiguration(0, "a", "pi4");
        var image = batch.AddOs("img-2", "a", "pi4", Candidates);

        var deployments = batch.Build();
        deployments.Select(d => (d.Id, d.Kind)).ShouldBe([(image, DeploymentKind.Os), (configuration, DeploymentKind.Configuration)]);
        deployments[1].Name.ShouldBe($"main @ abc123def456: {deployments[1].ArtifactName}");
        deployments[1].Configuration!.Checksum.ShouldBe(SettingsChecksum);
        batch.Configured.ShouldHaveSingleItem().ShouldBe(new ConfiguredWrite("a", deployments[1].Configuration!.Values, configuration));
    }

    [Theory]
    [InlineData("0123456789abcdef0123", "0198a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "configuration-0123456789ab-2e3f4a5b")]
    [InlineData("ffffffffffffffffffff", "00000000-0000-0000-0000-000000000001", "configuration-ffffffffffff-00000001")]
    public void A_configuration_artifact_is_named_after_its_checksum_and_its_deployment(string checksum, string deploymentId, string expected)
    {
        ConfigurationArtifactName.Of(checksum, deploymentId).ShouldBe(expected);
        ConfigurationArtifactName.IsOf(expected, checksum).ShouldBeTrue();
        ConfigurationArtifactName.IsOf(expected, "eeeeeeeeeeeeeeeeeeee").ShouldBeFalse();
    }
}
