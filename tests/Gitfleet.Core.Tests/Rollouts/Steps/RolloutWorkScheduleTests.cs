using Gitfleet.Core.Delivery;
using Gitfleet.Core.Facts;
using Gitfleet.Core.Rollouts;
using Gitfleet.Core.Tests.Delivery;
using static Gitfleet.Core.Tests.Rollouts.Steps.RolloutWorkFixture;

namespace Gitfleet.Core.Tests.Rollouts.Steps;

/// <summary>Scheduling the planner's devices, and the planner's input (windows, phases, byte budget prices), without a server.</summary>
public sealed class RolloutWorkScheduleTests
{
    private static readonly IReadOnlyDictionary<string, IReadOnlyList<ImageArtifact>> Img2 =
        new Dictionary<string, IReadOnlyList<ImageArtifact>> { ["img-2"] = [new ImageArtifact("art-rpi3", ["rpi3"]), new ImageArtifact("art-pi4", ["pi4"])] };

    [Theory]
    [InlineData("behind", RolloutDeviceState.Scheduled, 2, null)]
    [InlineData("behind-no-artifact", RolloutDeviceState.Failed, 2, "no artifact named 'img-2' on the server (upload it; a retry or resume picks it up)")]
    [InlineData("current", RolloutDeviceState.Succeeded, 1, null)]
    [InlineData("installing", RolloutDeviceState.Scheduled, 2, null)]
    [InlineData("gone", RolloutDeviceState.Aborted, 1, "the device no longer exists on the server")]
    public void A_scheduled_device_gets_deployments_for_what_it_needs(string kind, RolloutDeviceState expected, int attempts, string? error)
    {
        var facts = kind switch
        {
            "current" => Device("d1", "img-2"),
            "installing" => Device("d1", "img-1", null, Flight("dep-9")),
            "gone" => Device("other"),
            _ => Device("d1"),
        };
        var memory = new RolloutMemory();
        var work = Work(Target(Wants("d1")), [facts], [Row("d1", RolloutDeviceState.Failed, 1, "OS image img-2 failed: disk full")], memory);

        work.ImagesFor(["d1"]).ShouldBe(kind is "behind" or "behind-no-artifact" ? new[] { "img-2" } : []);
        work.Schedule(["d1", "not-in-the-target"], kind == "behind-no-artifact" ? new Dictionary<string, IReadOnlyList<ImageArtifact>>() : Img2);

        var row = work.Rows["d1"];
        (row.State, row.Attempts, row.LastError).ShouldBe((expected, attempts, error));
        var deployments = work.Deployments;
        if (kind == "behind")
        {
            var deployment = deployments.ShouldHaveSingleItem();
            deployment.Kind.ShouldBe(DeploymentKind.Os);
            deployment.Name.ShouldBe("main @ abc123def456: img-2");
            deployment.Devices.ShouldBe([new PlannedDevicePart(deployment.Devices[0].Id, "d1", "pi4", "art-pi4")]);
            row.Deployments.ShouldBe([deployment.Id]);
            memory.StartOf("d1").ShouldBe(Now);
            work.NewlyDeployed.ShouldBe(["d1"]);
        }
        else
        {
            deployments.ShouldBeEmpty();
            row.Deployments.ShouldBe(kind == "installing" ? new[] { "dep-9" } : []);
        }
    }

    [Fact]
    public void A_configuration_change_gets_a_configuration_deployment_after_the_os_one_and_the_devices_configured_map()
    {
        var facts = Device("d1") with { ReportedConfiguration = new Dictionary<string, string> { ["mode"] = "turbo" } };
        var work = Work(Target(Wants("d1", configured: true), Wants("d0", "img-1", configured: true)),
            [facts, Device("d0", "img-1") with { ReportedConfiguration = null }], [Row("d1", RolloutDeviceState.Waiting, 0), Row("d0", RolloutDeviceState.Waiting, 0)]);

        work.Schedule(["d1", "d0"], Img2);

        work.Deployments.Select(d => d.Kind).ShouldBe([DeploymentKind.Os, DeploymentKind.Configuration]);
        var configuration = work.Deployments[1];
        configuration.ArtifactName.ShouldBe(ConfigurationArtifactName.Of(SettingsChecksum, configuration.Id));
        configuration.Configuration!.Values.ShouldBe(Settings);
        configuration.Devices.Select(p => p.DeviceId).ShouldBe(["d0", "d1"], "parts in device order");
        work.Configured.Select(c => (c.DeviceId, c.DeploymentId)).ShouldBe([("d0", configuration.Id), ("d1", configuration.Id)]);
        work.Rows["d1"].Deployments.ShouldBe([work.Deployments[0].Id, configuration.Id]);
    }

    [Fact]
    public void A_forced_reinstall_deploys_the_image_the_device_runs_and_keeps_its_mark()
    {
        var mark = ForcedReinstall.Reason("img-2");
        var work = Work(Target(Policy, ["img-2"], Wants("d1")), [Device("d1", "img-2")], [Row("d1", RolloutDeviceState.Waiting, 0, mark)]);

        work.ImagesFor(["d1"]).ShouldBe(["img-2"]);
        work.Schedule(["d1"], Img2);

        work.Rows["d1"].State.ShouldBe(RolloutDeviceState.Scheduled);
        work.Rows["d1"].LastError.ShouldBe(mark);
        work.Deployments.ShouldHaveSingleItem().ArtifactName.ShouldBe("img-2");
    }

    [Fact]
    public void The_planners_input_carries_windows_phases_failure_kinds_and_start_times()
    {
        var memory = new RolloutMemory();
        memory.Started("d1", Now.AddMinutes(-4));
        memory.Observe("d1", UpdatePhase.Installing, Now.AddMinutes(-3));
        var target = Target(Wants("d1") with { Windows = ["night"] }, Wants("d2"));
        var work = Work(target, [Device("d1"), Device("d2")],
            [Row("d1", RolloutDeviceState.Scheduled, deployments: "dep-1"), Row("d2", RolloutDeviceState.Failed, 1, "timed out: downloading for longer than 1 h"), Row("not-in-target", RolloutDeviceState.Waiting)], memory);

        var input = work.ToInput("seed");

        input.Devices.Select(d => d.Key).Order(StringComparer.Ordinal).ShouldBe(["d1", "d2"]);
        var d1 = input.Devices.Single(d => d.Key == "d1");
        (d1.Phase, d1.PhaseSince, d1.StartedAt, d1.Windows).ShouldBe((UpdatePhase.Installing, (DateTimeOffset?)Now.AddMinutes(-3), (DateTimeOffset?)Now.AddMinutes(-4), target.WindowsOf[0]));
        var d2 = input.Devices.Single(d => d.Key == "d2");
        d2.Failure.ShouldBe(Gitfleet.Core.Fleet.FailureKind.TimedOut);
        (d2.Phase, d2.StartedAt).ShouldBe((UpdatePhase.Pending, (DateTimeOffset?)null));
        input.DownloadBytes.ShouldBeEmpty("no byte budget: nothing priced");
    }

    [Fact]
    public void With_a_byte_budget_a_started_device_costs_what_its_start_was_priced_at_and_a_due_one_its_catalog_price()
    {
        var memory = new RolloutMemory();
        memory.Started("started", Now.AddMinutes(-1), 123);
        var costs = new TransferCosts(TransferEstimatorTests.Catalog);
        var work = Work(Target(Wants("started"), Wants("due"), Wants("current", "img-2")), [Device("started"), Device("due"), Device("current", "img-2")],
            [Row("started", RolloutDeviceState.Scheduled), Row("due", RolloutDeviceState.Waiting, 0), Row("current", RolloutDeviceState.Waiting, 0)], memory);

        var input = work.ToInput("seed", costs);

        input.DownloadBytes["started"].ShouldBe(123);
        input.DownloadBytes["due"].ShouldBe(costs.Cost(new TransferDevice("due", "pi4", "img-1", "img-2", false)).BytesEach ?? 0);
        input.DownloadBytes["due"].ShouldBeGreaterThan(0);
        input.DownloadBytes.ContainsKey("current").ShouldBeFalse("a device that needs no image downloads nothing");

        work.Schedule(["due"], Img2);
        memory.DownloadOf("due").ShouldBe(input.DownloadBytes["due"], "the start is priced at what the planner counted");
    }

    [Fact]
    public void Transfer_devices_note_the_image_each_device_ran_before_its_update()
    {
        var memory = new RolloutMemory();
        var before = Work(Target(Wants("d1")), [Device("d1")], [Row("d1", RolloutDeviceState.Scheduled)], memory).NoteTransferDevices();
        before.ShouldHaveSingleItem().Device.ShouldBe(new TransferDevice("d1", "pi4", "img-1", "img-2", false));

        var after = Work(Target(Wants("d1")), [Device("d1", "img-2")], [Row("d1", RolloutDeviceState.Succeeded)], memory).NoteTransferDevices();
        after.ShouldHaveSingleItem().Device.From.ShouldBe("img-1", "a finished device runs the target; its base is remembered");

        Work(Target(Wants("d2")), [Device("d2", "img-2")], [Row("d2", RolloutDeviceState.Succeeded)], new RolloutMemory()).NoteTransferDevices()
            .ShouldBeEmpty("finished before this server saw it: not known to have moved an image");
    }
}
