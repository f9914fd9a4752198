using Gitfleet.Simulator.Faults;

namespace Gitfleet.Simulator.Tests.Faults;

public sealed class ImageFailureRuleTests
{
    private static RuleSubject Device(int index, string type = "pi4", Dictionary<string, string>? configuration = null) =>
        new(index, type, () => new Dictionary<string, string> { ["mac"] = "02:00:00:00:00:01" }, configuration);

    [Fact]
    public void A_rule_names_an_image_pattern_and_conditions_that_must_all_hold()
    {
        var rule = ImageFailureRule.Parse("release-2*@subscribed_branch=canary,device_type=pi4|pi3,index=0-9,phase=health-check,identity.mac=02:00:00:00:00:01");
        rule.ArtifactPattern.ShouldBe("release-2*");
        rule.Phase.ShouldBe(FailurePhase.HealthCheck);
        var canary = new Dictionary<string, string> { ["subscribed_branch"] = "canary" };

        rule.Matches("release-2.1", Device(3, "pi4", canary)).ShouldBeTrue();
        rule.Matches("release-2.1", Device(3, "pi3", canary)).ShouldBeTrue();
        rule.Matches("release-3.0", Device(3, "pi4", canary)).ShouldBeFalse();
        rule.Matches("release-2.1", Device(10, "pi4", canary)).ShouldBeFalse();
        rule.Matches("release-2.1", Device(3, "pi2", canary)).ShouldBeFalse();
        rule.Matches("release-2.1", Device(3, "pi4", new() { ["subscribed_branch"] = "production" })).ShouldBeFalse();
        rule.Matches("release-2.1", Device(3, "pi4")).ShouldBeFalse();
    }

    [Theory]
    [InlineData("")]
    [InlineData("@index=1")]
    [InlineData("x@index")]
    [InlineData("x@index=5-2")]
    [InlineData("x@probability=2")]
    [InlineData("x@phase=later")]
    public void Malformed_rules_are_refused_with_a_message(string text) =>
        Should.Throw<FormatException>(() => ImageFailureRule.Parse(text)).Message.ShouldNotBeNullOrWhiteSpace();

    [Theory]
    [InlineData("rootfs-image.*", "rootfs-image.version", true)]
    [InlineData("rootfs-image.*", "rootfs-image", false)]
    [InlineData("data-partition.mender-configure.*", "rootfs-image.version", false)]
    [InlineData("a?c*", "abcdef", true)]
    [InlineData("*", "", true)]
    [InlineData("a*b*c", "axxbyyc", true)]
    [InlineData("a*b*c", "axxbyy", false)]
    public void Wildcards_match_like_clears_artifact_provides(string pattern, string text, bool expected) =>
        Wildcard.IsMatch(pattern, text).ShouldBe(expected);

    [Fact]
    public void Image_rules_take_precedence_and_their_phase_follows_the_artifact()
    {
        var faults = new FaultSettings { ImageFailures = [ImageFailureRule.Parse("bad-*")] };
        FaultDecisions.Install(faults, 1, "bad-1", reboots: true, 0, Device(0)).Phase.ShouldBe(FailurePhase.HealthCheck);
        FaultDecisions.Install(faults, 1, "bad-1", reboots: false, 0, Device(0)).Phase.ShouldBe(FailurePhase.Install);
        FaultDecisions.Install(faults, 1, "good-1", reboots: true, 0, Device(0)).Fails.ShouldBeFalse();
    }
}
