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

    [Fact]
    public void Every_device_deployment_status_the_server_spells_is_one_typed_status_and_back()
    {
        Enum.GetValues<DeviceDeploymentState>().Select(StatusNames.Of).ShouldBe(DeviceDeploymentStatus.All, ignoreOrder: true);
        foreach (var text in DeviceDeploymentStatus.All)
        {
            StatusNames.Of(StatusNames.DeviceDeployment(text)).ShouldBe(text);
        }
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

    [Fact]
    public void A_device_deployment_status_the_server_does_not_know_is_refused() =>
        Should.Throw<ArgumentOutOfRangeException>(() => StatusNames.DeviceDeployment("paused"));
}
