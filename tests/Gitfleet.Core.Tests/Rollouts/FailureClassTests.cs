using Gitfleet.Core.Rollouts;

namespace Gitfleet.Core.Tests.Rollouts;

/// <summary>Failure reasons reduced to the few classes the failure metrics and the dashboard group by.</summary>
public sealed class FailureClassTests
{
    [Theory]
    [InlineData(null, FailureClass.Other)]
    [InlineData("", FailureClass.Other)]
    [InlineData("OS image img-3 failed (the device sent no log)", FailureClass.NoLog)]
    [InlineData("OS image img-3 failed: gitfleet-ab: error: health check failed for 'img-3'; rolling back to slot b", FailureClass.HealthCheck)]
    [InlineData("OS image img-3 failed: Cannot resume download: connection reset by peer", FailureClass.Download)]
    [InlineData("OS image img-3 failed: timed out waiting for the server", FailureClass.Download)]
    [InlineData("OS image img-3 failed: artifact signature verification failed", FailureClass.Verification)]
    [InlineData("OS image img-3 failed: checksum mismatch", FailureClass.Verification)]
    [InlineData("configuration c-1 failed: write /etc/x: no space left on device", FailureClass.DiskSpace)]
    [InlineData("OS image img-3 failed: exit status 2", FailureClass.Install)]
    [InlineData("something else entirely", FailureClass.Other)]
    public void A_reason_falls_in_one_class(string? reason, string expected) =>
        FailureClass.Of(reason).ShouldBe(expected);

    [Fact]
    public void The_reason_the_core_gives_for_a_missing_artifact_is_classed_as_no_artifact()
    {
        var reason = FailureReason.Describe(new FailedPart(Gitfleet.Core.Facts.DeploymentKind.Os, "img-3", NoArtifact: true), "pi4", log: null);

        FailureClass.Of(reason).ShouldBe(FailureClass.NoArtifact);
        FailureReason.IsNoArtifact(reason).ShouldBeTrue();
        FailureReason.KindOf(reason).ShouldBe(Gitfleet.Core.Fleet.FailureKind.Rejected);
    }

    [Fact]
    public void Every_class_is_listed_once() =>
        FailureClass.All.ShouldBeUnique();
}
