using Gitfleet.Simulator.Faults;
using Gitfleet.Simulator.Statistics;
using Gitfleet.Simulator.Tests.Support;

namespace Gitfleet.Simulator.Tests.Faults;

public sealed class ConvergenceTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task A_fleet_under_injected_faults_converges_once_the_faults_stop()
    {
        await server.UploadOsArtifactAsync("pi4-os-converge");
        var faults = new FaultSettings
        {
            InstallFailureRate = 0.3,
            OfflineRate = 0.2,
            OfflineMin = TimeSpan.FromMinutes(1),
            OfflineMax = TimeSpan.FromMinutes(3),
            FlakyNetworkRate = 0.2,
            DownloadDropRate = 0.3,
        };
        await using var run = await SimulationRun.StartAsync(server.Options("converge", 30) with { Faults = faults, Seed = 11 });
        // Some devices are offline at any time: wait until each has authenticated once.
        await run.UntilAsync(() => run.Devices.All(d => d.DeviceId is not null), "every device authorized");
        var first = await server.DeployAsync("pi4-os-converge", run.DeviceIds);
        await run.UntilAsync(() => server.FinishedAsync(first), "first deployment finished", step: TimeSpan.FromSeconds(10));

        var during = run.Fleet.Statistics();
        during[SimulatorEvent.InjectedInstallFailures].ShouldBeGreaterThan(0);
        during[SimulatorEvent.InjectedOfflinePeriods].ShouldBeGreaterThan(0);
        (during[SimulatorEvent.InjectedDrops] + during[SimulatorEvent.InjectedLostResponses] + during[SimulatorEvent.InjectedSlowRequests]).ShouldBeGreaterThan(0);
        during[SimulatorEvent.DeploymentsFailed].ShouldBeGreaterThan(0);

        // Faults stop; what failed is scheduled again (as the reconciler would) and every device ends on the image.
        run.Fleet.SetFaults(FaultSettings.None);
        var behind = run.Devices.Where(d => d.RunningImage != "pi4-os-converge").Select(d => d.DeviceId!.Value).ToList();
        behind.ShouldNotBeEmpty();
        var second = await server.DeployAsync("pi4-os-converge", behind);
        await run.UntilAsync(() => server.FinishedAsync(second), "second deployment finished", step: TimeSpan.FromSeconds(10));

        run.Devices.ShouldAllBe(d => d.RunningImage == "pi4-os-converge");
        (await server.StatisticsAsync(second)).GetProperty("success").GetInt32().ShouldBe(behind.Count);
        foreach (var id in run.DeviceIds)
        {
            (await server.InventoryAsync(id))["rootfs-image.version"].ShouldBe("pi4-os-converge");
        }

        run.Fleet.Statistics()[SimulatorEvent.ChecksumMismatches].ShouldBe(0);

        run.ShouldHaveNoErrors();
    }
}
