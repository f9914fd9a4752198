using Gitfleet.Core.Facts;
using Gitfleet.Core.Reconcile;
using Gitfleet.Core.Repository;
using Gitfleet.Core.Rollouts;
using Gitfleet.Storage.Model;
using Gitfleet.Storage.Sql;

namespace Gitfleet.Storage.Tests.Sqlite;

public sealed class ReconcileStoreTestsOnSqlite() : ReconcileStoreTests(StoreEngine.Sqlite);

public sealed class ReconcileStoreTestsOnPostgres() : ReconcileStoreTests(StoreEngine.Postgres);

public abstract class ReconcileStoreTests(StoreEngine engine) : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly StoreFixture fixture = new(engine);

    private IFleetStore Store => fixture.Store;

    public Task InitializeAsync() => fixture.InitializeAsync();

    public Task DisposeAsync() => fixture.DisposeAsync();

    [Fact]
    public async Task Targets_get_a_new_generation_and_observations_keep_the_applied_commit()
    {
        var commit = new CommitInfo("abc123", "Ann <ann@example.com>", "Image 2", StoreFixture.Now);
        var first = await Store.SaveTargetAsync(new NewBranchTarget("main", SerializedTarget.Of(Target("main", commit)), StoreFixture.Now), None);
        first.TargetGeneration.ShouldBe(1);
        first.AppliedCommit.ShouldBe(commit);
        first.LastSeenCommit.ShouldBe("abc123");
        first.RolloutGeneration.ShouldBe(0);

        var observed = await Store.SaveObservationAsync("main", "def456", ["inventory.yml:1:1: error: broken [yaml-syntax]"], StoreFixture.Now, None);
        observed.LastSeenCommit.ShouldBe("def456");
        observed.Errors.ShouldHaveSingleItem().ShouldContain("yaml-syntax");
        observed.AppliedCommit!.Sha.ShouldBe("abc123", "a broken commit never replaces the applied one");

        var second = await Store.SaveTargetAsync(new NewBranchTarget("main", SerializedTarget.Of(Target("main", commit with { Sha = "fff000" })), StoreFixture.Now), None);
        second.TargetGeneration.ShouldBe(2);
        second.Errors.ShouldBeEmpty();
        (await Store.GetTargetAsync("main", None))!.Commit.Sha.ShouldBe("fff000");
        (await Store.GetTargetAsync("canary", None)).ShouldBeNull();
        (await Store.ListBranchesAsync(None)).Select(b => b.Branch).ShouldBe(["main"]);
    }

    [Fact]
    public async Task A_target_is_stored_as_the_document_its_digest_was_computed_over()
    {
        var commit = new CommitInfo("abc123", "Ann <ann@example.com>", "Image 2", StoreFixture.Now);
        var serialized = SerializedTarget.Of(Target("main", commit) with { ContentHash = "content-1" });
        var branch = await Store.SaveTargetAsync(new NewBranchTarget("main", serialized, StoreFixture.Now), None);
        branch.TargetDigest.ShouldBe(serialized.Digest);
        branch.ContentHash.ShouldBe("content-1");
        SerializedTarget.Of((await Store.GetTargetAsync("main", None))!).Json.ShouldBe(serialized.Json, "the stored document reads back as the one hashed");

        var changed = SerializedTarget.Of(serialized.Target with { Commit = commit with { Subject = "amended" } });
        changed.Digest.ShouldNotBe(serialized.Digest);
        (await Store.SaveTargetAsync(new NewBranchTarget("main", changed, StoreFixture.Now), None)).TargetDigest.ShouldBe(changed.Digest);
        (await Store.GetTargetAsync("main", None))!.Commit.Subject.ShouldBe("amended");
    }

    [Fact]
    public async Task A_rollout_decision_is_written_in_one_transaction_and_followed_by_the_observed_state()
    {
        var device = await fixture.AcceptedDeviceAsync("m1");
        var other = await fixture.AcceptedDeviceAsync("m2");
        var old = StoreFixture.Deployment("image-0", [device.Id], StoreFixture.Now);
        await Store.CreateDeploymentAsync(old, None);
        var os = StoreFixture.Deployment("image-2", [device.Id, other.Id], StoreFixture.Now);
        var configuration = StoreFixture.Deployment("configuration-0123456789ab", [device.Id], StoreFixture.Now, kind: "configuration");
        configuration = configuration with { Deployment = configuration.Deployment with { ConfigurationChecksum = "0123456789abcdef", Configuration = new Dictionary<string, string> { ["k"] = "v" }, SecretKeys = ["k"] } };
        var progress = new RolloutProgress { Wave = 1, Paused = true, PauseReason = "why", AcknowledgedFailures = 2 };
        await Store.CommitRolloutAsync(new RolloutCommit
        {
            Branch = "main",
            Generation = 3,
            Progress = progress,
            StartedAt = StoreFixture.Now,
            ReplaceDevices = true,
            Devices = [new RolloutDeviceRecord(device.Id, RolloutDeviceState.Scheduled, 1, [os.Deployment.Id, configuration.Deployment.Id], null, StoreFixture.Now)],
            Deployments = [os, configuration],
            Configured = [new ConfiguredWrite(device.Id, new Dictionary<string, string> { ["k"] = "v" }, configuration.Deployment.Id)],
            Aborts = [new DevicePart(old.Deployment.Id, device.Id)],
            Now = StoreFixture.Now,
        }, None);

        var branch = (await Store.ListBranchesAsync(None)).Single();
        branch.RolloutGeneration.ShouldBe(3);
        branch.Progress.ShouldBe(progress);
        (await Store.GetDeploymentAsync(old.Deployment.Id, None))!.Status.ShouldBe(DeploymentState.Finished, "its only device was aborted");
        (await Store.GetNextForDeviceAsync(device.Id, None))!.Deployment.Id.ShouldBe(os.Deployment.Id, "the OS deployment comes before the configuration");
        (await Store.GetDeploymentAsync(configuration.Deployment.Id, None))!.SecretKeys.ShouldBe(["k"]);
        var rows = await Store.ListRolloutDevicesAsync("main", None);
        rows.ShouldHaveSingleItem().Deployments.ShouldBe([os.Deployment.Id, configuration.Deployment.Id]);
        (await Store.GetConfigurationAsync(device.Id, None))!.DeploymentId.ShouldBe(configuration.Deployment.Id);

        var observed = (await Store.LoadObservedAsync(null, StoreFixture.Now, id => id == other.Id ? StoreFixture.Now.AddHours(1) : null, None)).Devices;
        observed[device.Id].InFlight.Select(f => (f.Kind, f.ArtifactName, f.ConfigurationChecksum)).ShouldBe(
            [(DeploymentKind.Os, "image-2", null), (DeploymentKind.Configuration, null, "0123456789abcdef")]);
        observed[other.Id].LastCheckIn.ShouldBe(StoreFixture.Now.AddHours(1));
        observed[other.Id].InFlight.ShouldHaveSingleItem().Status.ShouldBe("pending");

        var parts = await Store.GetDevicePartsAsync([new DevicePart(os.Deployment.Id, device.Id), new DevicePart(old.Deployment.Id, device.Id)], None);
        parts.Single(p => p.DeploymentId == old.Deployment.Id).Status.ShouldBe(DeviceDeploymentState.Aborted);
        parts.Single(p => p.DeploymentId == os.Deployment.Id).Kind.ShouldBe("os");

        await Store.CommitRolloutAsync(new RolloutCommit { Branch = "main", Generation = 4, Progress = RolloutProgress.Start, ReplaceDevices = true, Now = StoreFixture.Now }, None);
        (await Store.ListRolloutDevicesAsync("main", None)).ShouldBeEmpty("a new rollout replaces the devices");
    }

    [Fact]
    public async Task Device_rows_of_interleaved_deployments_are_all_written_and_each_device_gets_its_os_deployment_first()
    {
        // The store writes a decision's device rows in device order (not deployment by deployment): every row must
        // still reach its deployment, and each device's FIFO must still follow the order the deployments were given.
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add((await fixture.AcceptedDeviceAsync($"m{i}")).Id);
        }

        ids.Sort(StringComparer.Ordinal);
        var os = StoreFixture.Deployment("image-2", ids, StoreFixture.Now);
        var first = Configuration(StoreFixture.Deployment("configuration-first", [ids[1], ids[3]], StoreFixture.Now, kind: "configuration"), "1111111111111111");
        var second = Configuration(StoreFixture.Deployment("configuration-second", [ids[0], ids[2]], StoreFixture.Now, kind: "configuration"), "2222222222222222");
        await Store.CommitRolloutAsync(new RolloutCommit
        {
            Branch = "main",
            Generation = 1,
            Progress = RolloutProgress.Start,
            ReplaceDevices = true,
            Devices = [.. ids.Select((id, i) => new RolloutDeviceRecord(id, RolloutDeviceState.Scheduled, 1, [os.Deployment.Id, (i % 2 == 0 ? second : first).Deployment.Id], null, StoreFixture.Now))],
            Deployments = [os, first, second],
            Now = StoreFixture.Now,
        }, None);

        var observed = (await Store.LoadObservedAsync(null, StoreFixture.Now, null, None)).Devices;
        for (var i = 0; i < ids.Count; i++)
        {
            (await Store.GetNextForDeviceAsync(ids[i], None))!.Deployment.Id.ShouldBe(os.Deployment.Id, "the OS deployment comes first for every device");
            observed[ids[i]].InFlight.Select(f => f.ConfigurationChecksum ?? f.ArtifactName).ShouldBe(["image-2", i % 2 == 0 ? "2222222222222222" : "1111111111111111"]);
        }

        var parts = await Store.GetDevicePartsAsync([.. ids.SelectMany(id => new[] { os, first, second }.Select(d => new DevicePart(d.Deployment.Id, id)))], None);
        parts.Count.ShouldBe(8, "every device in the OS deployment and in one configuration deployment");
        parts.Where(p => p.DeploymentId == first.Deployment.Id).Select(p => p.DeviceId).Order(StringComparer.Ordinal).ShouldBe([ids[1], ids[3]]);
        parts.Where(p => p.DeploymentId == second.Deployment.Id).Select(p => p.DeviceId).Order(StringComparer.Ordinal).ShouldBe([ids[0], ids[2]]);

        static NewDeployment Configuration(NewDeployment deployment, string checksum) =>
            deployment with { Deployment = deployment.Deployment with { ConfigurationChecksum = checksum, Configuration = new Dictionary<string, string> { ["k"] = checksum } } };
    }

    [Fact]
    public async Task The_installed_image_is_what_the_inventory_reports_else_what_check_ins_provided()
    {
        var reporting = await fixture.AcceptedDeviceAsync("m1");
        var silent = await fixture.AcceptedDeviceAsync("m2");
        await Store.SaveProvidedAsync(
        [
            new ProvidedAttribute(reporting.Id, "rootfs-image.version", "from-provides"),
            new ProvidedAttribute(silent.Id, "rootfs-image.version", "only-provides"),
            new ProvidedAttribute("gone-device", "rootfs-image.version", "x"),
        ], StoreFixture.Now, None);
        await Store.SaveInventoryAsync(reporting.Id, [new("rootfs-image.version", ["from-inventory"])], replace: false, StoreFixture.Now, None);
        await Store.SetReportedAsync(reporting.Id, new Dictionary<string, string> { ["a"] = "1" }, StoreFixture.Now, None);
        await Store.SetReportedAsync(silent.Id, new Dictionary<string, string> { ["a"] = "1" }, StoreFixture.Now, None);

        var state = await Store.LoadObservedAsync(null, StoreFixture.Now, null, None);
        var observed = state.Devices;
        observed[reporting.Id].InstalledImage.ShouldBe("from-inventory");
        observed[silent.Id].InstalledImage.ShouldBe("only-provides");
        observed.ContainsKey("gone-device").ShouldBeFalse();
        observed[silent.Id].ReportedConfiguration.ShouldBeSameAs(observed[reporting.Id].ReportedConfiguration, "identical maps are read once");
        (await Store.StreamProvidedAsync(None).ToListAsync()).Count.ShouldBe(2, "values of unknown devices are dropped");
        var again = await Store.LoadObservedAsync(state, StoreFixture.Now, null, None);
        again.Devices[silent.Id].ShouldBeSameAs(observed[silent.Id], "nothing changed: the same facts");
        await Store.SetReportedAsync(silent.Id, new Dictionary<string, string> { ["a"] = "2" }, StoreFixture.Now, None);
        var changed = await Store.LoadObservedAsync(again, StoreFixture.Now, null, None);
        changed.Devices[silent.Id].ReportedConfiguration!["a"].ShouldBe("2");
        changed.Devices[reporting.Id].ShouldBeSameAs(observed[reporting.Id]);

        // The engine prices downloads with the delta formats a device applies (docs/artifacts.md).
        await Store.SaveInventoryAsync(silent.Id, [new(Gitfleet.Core.Delivery.DeltaSupport.FormatsAttribute, ["xdelta3"])], replace: false, StoreFixture.Now, None);
        var deltas = await Store.LoadObservedAsync(changed, StoreFixture.Now, null, None);
        Gitfleet.Core.Delivery.DeltaSupport.Applies(deltas.Devices[silent.Id].Attributes).ShouldBeTrue();
        deltas.Devices[silent.Id].InstalledImage.ShouldBe("only-provides");
        Gitfleet.Core.Delivery.DeltaSupport.Applies(deltas.Devices[reporting.Id].Attributes).ShouldBeFalse();

        // PUT replaces what the device reports, not what its check-ins provided.
        await Store.SaveInventoryAsync(reporting.Id, [new("device_type", ["rpi4"])], replace: true, StoreFixture.Now, None);
        (await Store.LoadObservedAsync(changed, StoreFixture.Now, null, None)).Devices[reporting.Id].InstalledImage.ShouldBe("from-provides");
    }

    [Fact]
    public async Task Reads_between_full_reads_follow_deployments_new_devices_and_removed_ones()
    {
        var device = await fixture.AcceptedDeviceAsync("m1");
        var leaving = await fixture.AcceptedDeviceAsync("m2");
        var first = await Store.LoadObservedAsync(null, StoreFixture.Now, null, None);
        first.FullReadAt.ShouldBe(StoreFixture.Now);

        var later = StoreFixture.Now.AddMinutes(1);
        var deployment = StoreFixture.Deployment("image-2", [device.Id], later);
        await Store.CreateDeploymentAsync(deployment, None);
        var joined = await fixture.AcceptedDeviceAsync("m3");
        var second = await Store.LoadObservedAsync(first, later, null, None);
        second.FullReadAt.ShouldBe(StoreFixture.Now, "only what changed was read");
        second.Devices[device.Id].InFlight.ShouldHaveSingleItem().ArtifactName.ShouldBe("image-2");
        second.Devices.ContainsKey(joined.Id).ShouldBeTrue("a new device is read");
        second.Devices[leaving.Id].ShouldBeSameAs(first.Devices[leaving.Id]);

        var row = (await Store.GetNextForDeviceAsync(device.Id, None))!.Device;
        await Store.UpdateDeviceStatusAsync(row.Id, DeviceDeploymentState.Success, null, later.AddMinutes(1), None);
        await Store.DecommissionDeviceAsync(leaving.Id, later.AddMinutes(1), None);
        var third = await Store.LoadObservedAsync(second, later.AddMinutes(1), null, None);
        third.Devices[device.Id].InFlight.ShouldBeEmpty();
        third.Devices.ContainsKey(leaving.Id).ShouldBeFalse("a device that went away is dropped");
        (await Store.LoadObservedAsync(third, StoreFixture.Now.AddMinutes(10), null, None)).FullReadAt.ShouldBe(StoreFixture.Now.AddMinutes(10), "everything is read every few minutes");
    }

    [Fact]
    public async Task The_fleet_fingerprint_changes_when_membership_can_change()
    {
        var before = await Store.FleetFingerprintAsync(None);
        var device = await fixture.AcceptedDeviceAsync("m1");
        var joined = await Store.FleetFingerprintAsync(None);
        joined.ShouldNotBe(before);
        (await Store.FleetFingerprintAsync(None)).ShouldBe(joined, "nothing changed");
        await Store.SaveTagsAsync(device.Id, [new("subscribed_branch", ["canary"])], replace: true, StoreFixture.Now.AddMinutes(1), None);
        (await Store.FleetFingerprintAsync(None)).ShouldNotBe(joined);
    }

    private static Gitfleet.Core.Reconcile.BranchTarget Target(string branch, Gitfleet.Core.Repository.CommitInfo commit) => new() { Branch = branch, Commit = commit };
}
