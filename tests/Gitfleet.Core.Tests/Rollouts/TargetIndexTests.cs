using Gitfleet.Core.Reconcile;
using Gitfleet.Core.Rollouts;

namespace Gitfleet.Core.Tests.Rollouts;

/// <summary>A branch target in the engine's indexed form.</summary>
public sealed class TargetIndexTests
{
    private static readonly TargetConfiguration Kiosk = new(new Dictionary<string, string> { ["url"] = "https://example.test", ["token"] = "s3cret" }, ["token"]);

    private static TargetIndex Target(bool forceImg1 = false)
    {
        var commit = new Repository.CommitInfo("abc123", "dev", "roll", new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        return new TargetIndex(
            new BranchTarget
            {
                Branch = "main",
                Commit = commit,
                Configurations = new Dictionary<string, TargetConfiguration> { ["c1"] = Kiosk },
                ForcedImages = forceImg1 ? ["img-1"] : [],
                Devices =
                [
                    new TargetDevice("a", "img-1", "c1", ["lab"]),
                    new TargetDevice("b", "img-2", null, []),
                    new TargetDevice("c", "img-1", "c1", ["lab"]),
                ],
            },
            7);
    }

    [Theory]
    [InlineData("a", 0, "img-1", true, "lab")]
    [InlineData("b", 1, "img-2", false, "")]
    [InlineData("c", 2, "img-1", true, "lab")]
    public void Each_device_is_found_with_its_image_configuration_and_groups(string id, int position, string image, bool configured, string groups)
    {
        var target = Target();
        target.TryFind(id, out var i).ShouldBeTrue();
        i.ShouldBe(position);
        target.ImageFor(i).ShouldBe(image);
        (target.ConfigurationFor(i) is not null).ShouldBe(configured);
        string.Join(',', target.GroupsFor(i)).ShouldBe(groups);
    }

    [Fact]
    public void Devices_share_the_tables_of_images_configurations_and_groups()
    {
        var target = Target();
        target.Count.ShouldBe(3);
        target.Generation.ShouldBe(7);
        target.Images.ShouldBe(new[] { "img-1", "img-2" });
        target.Configurations.Count.ShouldBe(1);
        target.ConfigurationOf.ShouldBe(new[] { 0, -1, 0 });
        target.GroupsOf[0].ShouldBe(target.GroupsOf[2]);
        target.TryFind("unknown", out _).ShouldBeFalse();
        target.WindowsOf.ShouldAllBe(w => w == null);
    }

    [Theory]
    [InlineData(false, 0, false)]
    [InlineData(true, 0, true)]
    [InlineData(true, 1, false)]
    public void Forced_images_are_known_per_device(bool forceImg1, int device, bool forced)
    {
        Target(forceImg1).IsForced(device).ShouldBe(forced);
    }

    [Theory]
    [InlineData(0, 2, true)]
    [InlineData(0, 1, false)]
    public void Two_devices_want_the_same_state_when_image_and_configuration_match(int device, int other, bool same)
    {
        var target = Target();
        target.SameDesiredState(device, Target(), other).ShouldBe(same);
    }
}
