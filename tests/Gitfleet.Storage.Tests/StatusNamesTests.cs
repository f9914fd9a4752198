using Gitfleet.Core.Facts;
using Gitfleet.Storage.Model;

namespace Gitfleet.Storage.Tests;

/// <summary>The typed statuses of the store contract, spelled as the store keeps them: one place, both ways.</summary>
public sealed class StatusNamesTests
{
    [Theory]
    [InlineData(AuthStatus.Pending, "pending")]
    [InlineData(AuthStatus.Accepted, "accepted")]
    [InlineData(AuthStatus.Rejected, "rejected")]
    [InlineData(AuthStatus.Preauthorized, "preauthorized")]
    [InlineData(AuthStatus.NoAuth, "noauth")]
    public void An_auth_status_is_spelled_as_mender_spells_it_and_read_back(AuthStatus status, string text)
    {
        StatusNames.Of(status).ShouldBe(text);
        StatusNames.TryParse(text, out AuthStatus parsed).ShouldBeTrue();
        parsed.ShouldBe(status);
    }

    [Theory]
    [InlineData(DeviceDeploymentState.Pending, "pending", false, false)]
    [InlineData(DeviceDeploymentState.Downloading, "downloading", false, true)]
    [InlineData(DeviceDeploymentState.Installing, "installing", false, true)]
    [InlineData(DeviceDeploymentState.Rebooting, "rebooting", false, true)]
    [InlineData(DeviceDeploymentState.PauseBeforeInstalling, "pause_before_installing", false, true)]
    [InlineData(DeviceDeploymentState.PauseBeforeCommitting, "pause_before_committing", false, true)]
    [InlineData(DeviceDeploymentState.PauseBeforeRebooting, "pause_before_rebooting", false, true)]
    [InlineData(DeviceDeploymentState.Success, "success", true, true)]
    [InlineData(DeviceDeploymentState.Failure, "failure", true, true)]
    [InlineData(DeviceDeploymentState.AlreadyInstalled, "already-installed", true, true)]
    [InlineData(DeviceDeploymentState.NoArtifact, "noartifact", true, false)]
    [InlineData(DeviceDeploymentState.Aborted, "aborted", true, false)]
    [InlineData(DeviceDeploymentState.Decommissioned, "decommissioned", true, false)]
    public void A_device_deployment_status_is_spelled_as_mender_spells_it_and_read_back(DeviceDeploymentState status, string text, bool finished, bool reportable)
    {
        StatusNames.Of(status).ShouldBe(text);
        StatusNames.StoredDeviceDeployment(text).ShouldBe(status);
        status.IsFinished().ShouldBe(finished);
        status.IsReportable().ShouldBe(reportable);
    }

    [Fact]
    public void The_device_deployment_statuses_are_listed_once_in_menders_order()
    {
        // The order of the statistics object and of the "expected one of" list a device is answered with.
        DeviceDeploymentStates.All.Select(StatusNames.Of).ShouldBe(
        [
            "pending", "downloading", "installing", "rebooting", "pause_before_installing", "pause_before_committing", "pause_before_rebooting",
            "success", "failure", "already-installed", "noartifact", "aborted", "decommissioned",
        ]);
        DeviceDeploymentStates.Unfinished.ShouldBe(DeviceDeploymentStates.All.Where(s => !s.IsFinished()));
        DeviceDeploymentStates.Reportable.ShouldBe(DeviceDeploymentStates.All.Where(s => s.IsReportable()));
    }

    [Fact]
    public void Reading_a_device_report_and_spelling_it_back_allocates_nothing()
    {
        // The status report runs at thousands per second: the parse at the API edge, the meaning and the stored spelling.
        string[] reports = ["downloading", "installing", "rebooting", "pause_before_installing", "success", "failure", "already-installed", "exploded"];
        var spelled = 0;
        void ReadAll()
        {
            foreach (var text in reports)
            {
                if (StatusNames.TryParse(text, out DeviceDeploymentState status) && status.IsReportable() && !status.IsFinished())
                {
                    spelled += StatusNames.Of(status).Length + StatusNames.Of(StatusNames.StoredDeviceDeployment(text)).Length;
                }
            }
        }

        ReadAll();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            ReadAll();
        }

        (GC.GetAllocatedBytesForCurrentThread() - before).ShouldBe(0);
        spelled.ShouldBe(1001 * 2 * ("downloading".Length + "installing".Length + "rebooting".Length + "pause_before_installing".Length));
    }

    [Fact]
    public void Formatting_returns_the_shared_constants_so_reference_comparisons_still_hold() =>
        ReferenceEquals(StatusNames.Of(AuthStatus.Accepted), DeviceStatus.Accepted).ShouldBeTrue();

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Accepted")]
    [InlineData("done")]
    public void Unknown_text_is_no_status(string? text)
    {
        StatusNames.TryParse(text, out AuthStatus _).ShouldBeFalse();
        StatusNames.TryParse(text, out DeviceDeploymentState _).ShouldBeFalse();
    }

    [Theory]
    [InlineData(DeploymentState.Pending, "pending")]
    [InlineData(DeploymentState.InProgress, "inprogress")]
    [InlineData(DeploymentState.Finished, "finished")]
    public void A_deployment_status_is_spelled_as_mender_spells_it_and_read_back(DeploymentState status, string text)
    {
        StatusNames.Of(status).ShouldBe(text);
        StatusNames.StoredDeployment(text).ShouldBe(status);
    }

    [Fact]
    public void A_stored_status_nobody_spells_is_an_error_that_names_it()
    {
        Should.Throw<InvalidDataException>(() => StatusNames.StoredAuth("Accepted")).Message.ShouldContain("auth status 'Accepted'");
        Should.Throw<InvalidDataException>(() => StatusNames.StoredDeployment("done")).Message.ShouldContain("expected one of: finished, inprogress, pending");
        Should.Throw<InvalidDataException>(() => StatusNames.StoredDeviceDeployment("paused")).Message.ShouldContain("device deployment status 'paused'");
    }
}
