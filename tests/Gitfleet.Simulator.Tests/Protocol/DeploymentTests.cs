using System.Net;
using System.Net.Http.Json;
using Gitfleet.Simulator.Devices;
using Gitfleet.Simulator.Faults;
using Gitfleet.Simulator.Statistics;
using Gitfleet.Simulator.Tests.Support;

namespace Gitfleet.Simulator.Tests.Protocol;

public sealed class DeploymentTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task An_os_deployment_reaches_success_and_the_new_image_shows_in_the_inventory()
    {
        await server.UploadOsArtifactAsync("pi4-os-2");
        await using var run = await SimulationRun.StartAsync(server.Options("deploy", 3));
        await run.AllIdleAsync();
        var deployment = await server.DeployAsync("pi4-os-2", run.DeviceIds);
        await run.UntilAsync(() => server.FinishedAsync(deployment), "deployment finished");

        (await server.StatisticsAsync(deployment)).GetProperty("success").GetInt32().ShouldBe(3);
        foreach (var device in run.Devices)
        {
            device.RunningImage.ShouldBe("pi4-os-2");
            device.ArtifactName.ShouldBe("pi4-os-2");
            device.State.ShouldBe(SimulatedDeviceState.Idle);
            var inventory = await server.InventoryAsync(device.DeviceId!.Value);
            inventory["artifact_name"].ShouldBe("pi4-os-2");
            inventory["rootfs-image.version"].ShouldBe("pi4-os-2");
        }

        var statistics = run.Fleet.Statistics();
        statistics[SimulatorEvent.DeploymentsSucceeded].ShouldBe(3);
        statistics[SimulatorEvent.DownloadsCompleted].ShouldBe(3);
        statistics[SimulatorEvent.ChecksumMismatches].ShouldBe(0);
        // Rebooting drops the token: every device authenticated again after the reboot.
        statistics[SimulatorEvent.Authorized].ShouldBe(6);

        // The same artifact again: the device already runs it.
        var again = await server.DeployAsync("pi4-os-2", run.DeviceIds);
        await run.UntilAsync(() => server.FinishedAsync(again), "second deployment finished");
        (await server.StatisticsAsync(again)).GetProperty("already-installed").GetInt32().ShouldBe(3);

        run.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task A_failing_install_reports_failure_with_the_module_output_in_the_log()
    {
        await server.UploadOsArtifactAsync("broken-3");
        var options = server.Options("failing", 3) with
        {
            Faults = new FaultSettings { ImageFailures = [ImageFailureRule.Parse("broken-*@index=0,phase=install"), ImageFailureRule.Parse("broken-*@index=1")] },
        };
        await using var run = await SimulationRun.StartAsync(options);
        await run.AllIdleAsync();
        var deployment = await server.DeployAsync("broken-3", run.DeviceIds);
        await run.UntilAsync(() => server.FinishedAsync(deployment), "finished");

        var statistics = await server.StatisticsAsync(deployment);
        statistics.GetProperty("failure").GetInt32().ShouldBe(2);
        statistics.GetProperty("success").GetInt32().ShouldBe(1);
        var ids = run.DeviceIds;
        (await server.DeviceLogAsync(deployment, ids[0])).ShouldContain("rootfs-image: error: installing 'broken-3' failed");
        var healthCheck = await server.DeviceLogAsync(deployment, ids[1]);
        healthCheck.ShouldContain("health check failed on image 'broken-3'");
        healthCheck.ShouldContain("rolled back to the previous image 'pi4-os-1'");
        run[0].RunningImage.ShouldBe("pi4-os-1");
        run[1].RunningImage.ShouldBe("pi4-os-1");
        run[2].RunningImage.ShouldBe("broken-3");
        (await server.InventoryAsync(ids[1]))["rootfs-image.version"].ShouldBe("pi4-os-1");

        run.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task An_abort_during_the_install_ends_the_deployment_on_the_device_at_its_next_report()
    {
        await server.UploadOsArtifactAsync("pi4-os-abort");
        await using var run = await SimulationRun.StartAsync(server.Options("abort", 1) with { InstallTime = TimeSpan.FromMinutes(5) });
        await run.AllIdleAsync();
        var deployment = await server.DeployAsync("pi4-os-abort", run.DeviceIds);
        await run.UntilAsync(() => run[0].State == SimulatedDeviceState.Installing, "installing");

        using (var abort = await server.Admin.PutAsJsonAsync($"/api/management/v1/deployments/deployments/{deployment}/status", new { status = "aborted" }))
        {
            abort.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        }

        await run.UntilAsync(() => run[0].State == SimulatedDeviceState.Idle, "back to idle", step: TimeSpan.FromMinutes(1));
        run.Fleet.Statistics()[SimulatorEvent.DeploymentsAborted].ShouldBe(1);
        run[0].RunningImage.ShouldBe("pi4-os-1");
        run[0].DeploymentId.ShouldBeNull();
        (await server.StatisticsAsync(deployment)).GetProperty("aborted").GetInt32().ShouldBe(1);

        run.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task A_dropped_download_resumes_with_a_range_request_and_the_artifact_checks_out()
    {
        await server.UploadOsArtifactAsync("pi4-os-big", payloadBytes: 1024 * 1024);
        var options = server.Options("resume", 1) with { Faults = new FaultSettings { DownloadDropRate = 1 } };
        await using var run = await SimulationRun.StartAsync(options);
        await run.AllIdleAsync();
        var deployment = await server.DeployAsync("pi4-os-big", run.DeviceIds);
        await run.UntilAsync(() => run.Fleet.Statistics()[SimulatorEvent.InjectedDrops] >= 2, "two dropped downloads");

        run.Fleet.SetFaults(FaultSettings.None);
        await run.UntilAsync(() => server.FinishedAsync(deployment), "finished");
        var statistics = run.Fleet.Statistics();
        statistics[SimulatorEvent.DownloadsResumed].ShouldBeGreaterThanOrEqualTo(2);
        statistics[SimulatorEvent.DownloadRangeIgnored].ShouldBe(0);
        statistics[SimulatorEvent.ChecksumMismatches].ShouldBe(0);
        (await server.StatisticsAsync(deployment)).GetProperty("success").GetInt32().ShouldBe(1);
        run[0].RunningImage.ShouldBe("pi4-os-big");

        run.ShouldHaveNoErrors();
    }
}
