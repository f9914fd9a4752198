using Gitfleet.Core.Rollouts;
using Gitfleet.Storage.Model;
using Gitfleet.Storage.Sql;
using Microsoft.Data.Sqlite;

namespace Gitfleet.Storage.Tests.Sqlite;

public sealed class SqliteFleetStoreTestsOnSqlite() : SqliteFleetStoreTests(StoreEngine.Sqlite);

public sealed class SqliteFleetStoreTestsOnPostgres() : SqliteFleetStoreTests(StoreEngine.Postgres);

/// <summary>The store's contract, on every engine (the name is historical: it began as the SQLite store's tests).</summary>
public abstract class SqliteFleetStoreTests(StoreEngine engine) : IAsyncLifetime
{
    private readonly StoreFixture fixture = new(engine);
    private static readonly CancellationToken None = CancellationToken.None;

    private IFleetStore Store => fixture.Store;

    public Task InitializeAsync() => fixture.InitializeAsync();

    public Task DisposeAsync() => fixture.DisposeAsync();

    [Fact]
    public async Task A_stored_status_gitfleet_does_not_know_is_a_clear_error_not_a_silent_default()
    {
        var device = await fixture.AcceptedDeviceAsync("m1");
        await fixture.ExecuteBehindTheStoreAsync($"UPDATE devices SET status = 'banned' WHERE id = '{device.Id}'");
        await fixture.ExecuteBehindTheStoreAsync($"UPDATE auth_sets SET status = 'revoked' WHERE device_id = '{device.Id}'");

        var read = await Should.ThrowAsync<InvalidDataException>(() => Store.GetDeviceAsync(device.Id, None));
        read.Message.ShouldContain("auth status 'banned'");
        read.Message.ShouldContain("accepted, noauth, pending, preauthorized, rejected");
        (await Should.ThrowAsync<InvalidDataException>(() => Store.GetAuthSetsAsync([device.Id], None))).Message.ShouldContain("'revoked'");
        await Should.ThrowAsync<InvalidDataException>(() => Store.ListDevicesAsync(new DeviceQuery(), None));
    }

    [Fact]
    public async Task A_stored_device_deployment_status_gitfleet_does_not_know_is_a_clear_error_and_a_report_changes_nothing()
    {
        var device = await fixture.AcceptedDeviceAsync("m1");
        var deployment = StoreFixture.Deployment("r-1", [device.Id], StoreFixture.Now);
        await Store.CreateDeploymentAsync(deployment, None);
        var row = deployment.Devices[0].Id;
        await fixture.ExecuteBehindTheStoreAsync($"UPDATE device_deployments SET status = 'paused' WHERE id = '{row}'");

        var read = await Should.ThrowAsync<InvalidDataException>(() => Store.GetDeviceDeploymentByIdAsync(row, None));
        read.Message.ShouldContain("device deployment status 'paused'");
        read.Message.ShouldContain("already-installed, decommissioned, downloading, failure, installing, noartifact, pause_before_committing");
        await Should.ThrowAsync<InvalidDataException>(() => Store.GetNextForDeviceAsync(device.Id, None));
        await Should.ThrowAsync<InvalidDataException>(() => Store.ListDeviceHistoryAsync(device.Id, None));
        await Should.ThrowAsync<InvalidDataException>(() => Store.GetStatisticsAsync(deployment.Deployment.Id, None));
        await Should.ThrowAsync<InvalidDataException>(() => Store.GetDevicePartsAsync([new DevicePart(deployment.Deployment.Id, device.Id)], None));
        (await Should.ThrowAsync<InvalidDataException>(() => Store.UpdateDeviceStatusAsync(row, DeviceDeploymentState.Success, null, StoreFixture.Now, None)))
            .Message.ShouldContain("'paused'");
        (await Should.ThrowAsync<InvalidDataException>(() => Store.GetDeviceDeploymentByIdAsync(row, None))).Message.ShouldContain("'paused'", customMessage: "the refused report wrote nothing");
        (await Store.GetDeploymentAsync(deployment.Deployment.Id, None))!.Status.ShouldBe(DeploymentState.Pending);
    }

    [Fact]
    public async Task Migrations_are_versioned_idempotent_and_the_database_runs_in_wal_mode()
    {
        (await Store.MigrateAsync(None)).ShouldBe(SchemaMigrations.All.Max(m => m.Version));
        (await Store.MigrateAsync(None)).ShouldBe(SchemaMigrations.All.Max(m => m.Version));
        if (engine != StoreEngine.Sqlite)
        {
            return;
        }

        await using var connection = new SqliteConnection($"Data Source={fixture.DatabasePath}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        (await command.ExecuteScalarAsync())!.ToString().ShouldBe("wal");
        command.CommandText = "SELECT COUNT(*) FROM schema_migrations";
        Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture).ShouldBe(SchemaMigrations.All.Count);
    }

    [Fact]
    public async Task Auth_requests_create_devices_and_auth_sets_and_accepting_one_key_rejects_the_other()
    {
        var identity = new Dictionary<string, string> { ["mac"] = "m1" };
        var first = await Store.RecordAuthRequestAsync("d1", "a1", identity, "key-1", StoreFixture.Now, None);
        first.Created.ShouldBeTrue();
        first.Device.Status.ShouldBe(AuthStatus.Pending);
        (await Store.RecordAuthRequestAsync("ignored", "ignored", identity, "key-1", StoreFixture.Now, None)).AuthSet.Id.ShouldBe("a1");
        var second = await Store.RecordAuthRequestAsync("ignored", "a2", identity, "key-2", StoreFixture.Now, None);
        second.Device.Id.ShouldBe("d1");

        (await Store.SetAuthSetStatusAsync("d1", "a1", AuthStatus.Accepted, StoreFixture.Now, None))!.Status.ShouldBe(AuthStatus.Accepted);
        (await Store.SetAuthSetStatusAsync("d1", "a2", AuthStatus.Accepted, StoreFixture.Now, None))!.Status.ShouldBe(AuthStatus.Accepted);
        var sets = await Store.GetAuthSetsAsync(["d1"], None);
        sets.Single(s => s.Id == "a1").Status.ShouldBe(AuthStatus.Rejected);
        sets.Single(s => s.Id == "a2").Status.ShouldBe(AuthStatus.Accepted);
        (await Store.SetAuthSetStatusAsync("d1", "nope", AuthStatus.Accepted, StoreFixture.Now, None)).ShouldBeNull();

        (await Store.DeleteAuthSetAsync("d1", "a2", StoreFixture.Now, None)).Device!.Status.ShouldBe(AuthStatus.Rejected);
        (await Store.DeleteAuthSetAsync("d1", "a1", StoreFixture.Now, None)).ShouldBe((true, null));
        (await Store.GetDeviceAsync("d1", None)).ShouldBeNull();
        (await Store.PreauthorizeAsync("d2", "a3", identity, "key-3", StoreFixture.Now, None))!.Status.ShouldBe(AuthStatus.Preauthorized);
        (await Store.PreauthorizeAsync("d3", "a4", identity, "key-3", StoreFixture.Now, None)).ShouldBeNull();
        (await Store.FindAuthSetAsync(identity, "key-3", None))!.AuthSet!.Status.ShouldBe(AuthStatus.Preauthorized);
        var admitted = await Store.RecordAuthRequestAsync("ignored", "ignored", identity, "key-3", StoreFixture.Now, None);
        admitted.AuthSet.Status.ShouldBe(AuthStatus.Accepted, "the first request with a preauthorized key accepts it");
        admitted.Device.Status.ShouldBe(AuthStatus.Accepted);
        (await Store.FindAuthSetAsync(identity, "key-3", None))!.AuthSet!.Status.ShouldBe(AuthStatus.Accepted, "a read after the commit sees it (the lookup's statement was prepared before)");
        var stored = (await Store.GetDeviceAsync(admitted.Device.Id, None))!;
        (stored.Status, stored.UpdatedAt, stored.IdentityKey, stored.CreatedAt).ShouldBe(
            (admitted.Device.Status, admitted.Device.UpdatedAt, admitted.Device.IdentityKey, admitted.Device.CreatedAt), "the accepted device as the request returned it is the stored one");
        (await Store.FindAuthSetAsync(identity, "key-4", None))!.AuthSet.ShouldBeNull("the device is known, not with this key");
        (await Store.FindAuthSetAsync(new Dictionary<string, string> { ["mac"] = "unknown" }, "key-3", None)).ShouldBeNull();
    }

    [Fact]
    public async Task Generated_artifacts_are_deleted_only_once_every_deployment_of_their_name_finished_before_the_cutoff()
    {
        var device = await fixture.AcceptedDeviceAsync("m1");
        var at = StoreFixture.Now;
        async Task<(NewDeployment Deployment, ArtifactRecord Artifact)> ConfigurationAsync(string name, bool generated = true)
        {
            var deployment = StoreFixture.Deployment(name, [device.Id], at, kind: "configuration");
            await Store.CreateDeploymentAsync(deployment, None);
            var artifact = new ArtifactRecord
            {
                Id = Guid.NewGuid().ToString(), Name = name, DeviceTypes = ["rpi4"], Size = 10, FileName = name + ".mender", Generated = generated, CreatedAt = at,
                Metadata = new Gitfleet.Artifacts.ArtifactInfo { Name = name, DeviceTypesCompatible = ["rpi4"] },
            };
            (await Store.InsertArtifactAsync(artifact, None)).ShouldBeNull();
            return (deployment, artifact);
        }

        var finishedEarly = await ConfigurationAsync("configuration-early");
        var finishedLate = await ConfigurationAsync("configuration-late");
        var unfinished = await ConfigurationAsync("configuration-unfinished");
        var uploaded = await ConfigurationAsync("uploaded-finished", generated: false);
        var orphan = new ArtifactRecord
        {
            Id = Guid.NewGuid().ToString(), Name = "configuration-orphan", DeviceTypes = ["rpi4"], Size = 10, FileName = "orphan.mender", Generated = true, CreatedAt = at.AddMinutes(1),
            Metadata = new Gitfleet.Artifacts.ArtifactInfo { Name = "configuration-orphan", DeviceTypesCompatible = ["rpi4"] },
        };
        (await Store.InsertArtifactAsync(orphan, None)).ShouldBeNull();
        var fresh = orphan with { Id = Guid.NewGuid().ToString(), Name = "configuration-fresh", FileName = "fresh.mender", CreatedAt = at.AddHours(2) };
        (await Store.InsertArtifactAsync(fresh, None)).ShouldBeNull();
        await Store.UpdateDeviceStatusAsync(finishedEarly.Deployment.Devices[0].Id, DeviceDeploymentState.Success, null, at.AddMinutes(10), None);
        await Store.UpdateDeviceStatusAsync(uploaded.Deployment.Devices[0].Id, DeviceDeploymentState.Success, null, at.AddMinutes(10), None);
        await Store.UpdateDeviceStatusAsync(finishedLate.Deployment.Devices[0].Id, DeviceDeploymentState.Failure, null, at.AddMinutes(90), None);

        var cutoff = at.AddHours(1);
        var deleted = await Store.DeleteSpentGeneratedArtifactsAsync(cutoff, 1, None);
        deleted.Select(a => a.Id).ShouldBe([finishedEarly.Artifact.Id], ignoreOrder: false, customMessage: "one per call at a limit of one, oldest first");
        (await Store.DeleteSpentGeneratedArtifactsAsync(cutoff, 10, None)).Select(a => a.Name).ShouldBe(["configuration-orphan"], ignoreOrder: false, customMessage: "no deployment of its name at all");
        (await Store.DeleteSpentGeneratedArtifactsAsync(cutoff, 10, None)).ShouldBeEmpty();
        (await Store.ListArtifactsAsync(null, includeGenerated: true, None)).Select(a => a.Name).Order(StringComparer.Ordinal).ShouldBe(
            ["configuration-fresh", "configuration-late", "configuration-unfinished", "uploaded-finished"],
            ignoreOrder: false, customMessage: "kept: generated after the cutoff, finished after it, unfinished, and an uploaded artifact");

        (await Store.DeleteSpentGeneratedArtifactsAsync(at.AddHours(3), 10, None)).Select(a => a.Name).Order(StringComparer.Ordinal).ShouldBe(
            ["configuration-fresh", "configuration-late"]);
        (await Store.GetArtifactAsync(unfinished.Artifact.Id, None)).ShouldNotBeNull("its deployment is still unfinished");
    }

    [Fact]
    public async Task A_device_gets_its_deployments_first_in_first_out()
    {
        var device = await fixture.AcceptedDeviceAsync("m1");
        var os = StoreFixture.Deployment("os-2", [device.Id], StoreFixture.Now);
        var configuration = StoreFixture.Deployment("configuration-1", [device.Id], StoreFixture.Now, kind: "configuration");
        await Store.CreateDeploymentAsync(os, None);
        await Store.CreateDeploymentAsync(configuration, None);

        (await Store.GetNextForDeviceAsync(device.Id, None))!.Deployment.Id.ShouldBe(os.Deployment.Id);
        var outcome = await Store.UpdateDeviceStatusAsync(os.Devices[0].Id, DeviceDeploymentState.Success, null, StoreFixture.Now, None);
        outcome!.DeviceStillHasUnfinished.ShouldBeTrue();
        outcome.Deployment.Status.ShouldBe(DeploymentState.Finished);
        (await Store.GetNextForDeviceAsync(device.Id, None))!.Deployment.Id.ShouldBe(configuration.Deployment.Id);
        (await Store.UpdateDeviceStatusAsync(configuration.Devices[0].Id, DeviceDeploymentState.Success, null, StoreFixture.Now, None))!.DeviceStillHasUnfinished.ShouldBeFalse();
        (await Store.GetNextForDeviceAsync(device.Id, None)).ShouldBeNull();
        (await Store.ListDeviceHistoryAsync(device.Id, None)).Select(h => h.Deployment.Id).ShouldBe([configuration.Deployment.Id, os.Deployment.Id]);
    }

    [Fact]
    public async Task Deployment_status_follows_its_devices_and_retries_put_a_failure_back_to_pending()
    {
        var a = await fixture.AcceptedDeviceAsync("m1");
        var b = await fixture.AcceptedDeviceAsync("m2");
        var deployment = StoreFixture.Deployment("r-1", [a.Id, b.Id], StoreFixture.Now, retries: 1);
        (await Store.CreateDeploymentAsync(deployment, None)).Deployment.Status.ShouldBe(DeploymentState.Pending);
        var rowA = deployment.Devices.Single(d => d.DeviceId == a.Id).Id;
        (await Store.UpdateDeviceStatusAsync(rowA, DeviceDeploymentState.Downloading, null, StoreFixture.Now, None))!.Deployment.Status.ShouldBe(DeploymentState.InProgress);
        var retried = await Store.UpdateDeviceStatusAsync(rowA, DeviceDeploymentState.Failure, null, StoreFixture.Now, None);
        retried!.Device.Status.ShouldBe(DeviceDeploymentState.Pending);
        retried.Device.Attempts.ShouldBe(1);
        await Store.UpdateDeviceStatusAsync(rowA, DeviceDeploymentState.Downloading, null, StoreFixture.Now, None);
        (await Store.UpdateDeviceStatusAsync(rowA, DeviceDeploymentState.Failure, null, StoreFixture.Now, None))!.Device.Status.ShouldBe(DeviceDeploymentState.Failure);

        var aborted = await Store.AbortDeploymentAsync(deployment.Deployment.Id, StoreFixture.Now, None);
        aborted.ShouldBe([b.Id]);
        var stored = await Store.GetDeploymentAsync(deployment.Deployment.Id, None);
        stored!.Status.ShouldBe(DeploymentState.Finished);
        stored.FinishedAt.ShouldBe(StoreFixture.Now);
        stored.Trace!.Commit.ShouldBe("abc");
        var statistics = await Store.GetStatisticsAsync(deployment.Deployment.Id, None);
        statistics[DeviceDeploymentState.Failure].ShouldBe(1);
        statistics[DeviceDeploymentState.Aborted].ShouldBe(1);
        (await Store.AbortDeploymentAsync("unknown", StoreFixture.Now, None)).ShouldBeNull();
    }

    [Fact]
    public async Task The_same_idempotency_key_stores_one_deployment_under_concurrent_writers()
    {
        var device = await fixture.AcceptedDeviceAsync("m1");
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ =>
            Store.CreateDeploymentAsync(StoreFixture.Deployment("k-1", [device.Id], StoreFixture.Now, key: "same-key"), None)));
        outcomes.Select(o => o.Deployment.Id).Distinct().Count().ShouldBe(1);
        outcomes.Count(o => !o.Existing).ShouldBe(1);
        (await Store.ListDeploymentsAsync(new DeploymentQuery(), None)).Total.ShouldBe(1);
    }

    [Fact]
    public async Task A_failing_multi_row_change_stores_nothing()
    {
        var device = await fixture.AcceptedDeviceAsync("m1");
        var deployment = StoreFixture.Deployment("tx-1", [device.Id], StoreFixture.Now);
        var broken = deployment with { Devices = [deployment.Devices[0], deployment.Devices[0]] };
        await Should.ThrowAsync<System.Data.Common.DbException>(() => Store.CreateDeploymentAsync(broken, None));
        (await Store.GetDeploymentAsync(deployment.Deployment.Id, None)).ShouldBeNull();
        (await Store.GetNextForDeviceAsync(device.Id, None)).ShouldBeNull();
    }

    [Fact]
    public async Task Decommissioning_removes_the_device_and_finishes_its_deployments()
    {
        var device = await fixture.AcceptedDeviceAsync("m1");
        var deployment = StoreFixture.Deployment("d-1", [device.Id], StoreFixture.Now);
        await Store.CreateDeploymentAsync(deployment, None);
        await Store.SetConfiguredAsync(device.Id, new Dictionary<string, string> { ["a"] = "1" }, StoreFixture.Now, None);
        (await Store.DecommissionDeviceAsync(device.Id, StoreFixture.Now, None)).ShouldBeTrue();
        (await Store.GetDeviceAsync(device.Id, None)).ShouldBeNull();
        (await Store.GetConfigurationAsync(device.Id, None)).ShouldBeNull();
        (await Store.GetAttributesAsync([device.Id], None)).ShouldBeEmpty();
        (await Store.GetDeploymentAsync(deployment.Deployment.Id, None))!.Status.ShouldBe(DeploymentState.Finished);
        (await Store.GetStatisticsAsync(deployment.Deployment.Id, None))[DeviceDeploymentState.Decommissioned].ShouldBe(1);
        (await Store.DecommissionDeviceAsync(device.Id, StoreFixture.Now, None)).ShouldBeFalse();
    }

    [Fact]
    public async Task Inventory_mirrors_device_type_and_filters_find_devices_by_tag_group_and_status()
    {
        var a = await fixture.AcceptedDeviceAsync("m1");
        var b = await fixture.AcceptedDeviceAsync("m2", deviceType: "bbb");
        await Store.SaveTagsAsync(a.Id, [new("subscribed_branch", ["canary"])], replace: true, StoreFixture.Now, None);
        await Store.SetGroupAsync(b.Id, "kiosks", StoreFixture.Now, None);
        (await Store.GetDeviceAsync(b.Id, None))!.DeviceType.ShouldBe("bbb");

        async Task<IReadOnlyList<string>> FindAsync(params AttributeFilter[] filters) =>
            (await Store.ListDevicesAsync(new DeviceQuery { Filters = filters, PerPage = 50 }, None)).Items.Select(d => d.Id).ToList();

        (await FindAsync(new AttributeFilter("tags", "subscribed_branch", "$eq", ["canary"]))).ShouldBe([a.Id]);
        (await FindAsync(new AttributeFilter("tags", "subscribed_branch", "$exists", ["false"]))).ShouldBe([b.Id]);
        (await FindAsync(new AttributeFilter("system", "group", "$eq", ["kiosks"]))).ShouldBe([b.Id]);
        (await FindAsync(new AttributeFilter("inventory", "device_type", "$in", ["rpi4", "bbb"]))).Count.ShouldBe(2);
        (await FindAsync(new AttributeFilter("identity", "status", "$ne", ["accepted"]))).ShouldBeEmpty();
        (await Store.ListGroupsAsync(None)).ShouldBe(["kiosks"]);
        (await Store.SaveTagsAsync("unknown", [], replace: true, StoreFixture.Now, None)).ShouldBeFalse();
    }

    [Fact]
    public async Task Bulk_streams_are_ordered_by_device_id_and_check_ins_are_saved_in_batches()
    {
        var devices = new List<DeviceRecord>();
        for (var i = 0; i < 5; i++)
        {
            devices.Add(await fixture.AcceptedDeviceAsync("m" + i));
        }

        await Store.SaveCheckInsAsync(devices.Select(d => new KeyValuePair<string, DateTimeOffset>(d.Id, StoreFixture.Now.AddMinutes(1))).ToList(), None);
        var streamed = await Store.StreamDevicesAsync(None).ToListAsync();
        streamed.Select(d => d.Id).ShouldBe(devices.Select(d => d.Id).Order(StringComparer.Ordinal));
        streamed.ShouldAllBe(d => d.LastCheckIn == StoreFixture.Now.AddMinutes(1));
        var attributeOwners = await Store.StreamAttributesAsync(None).Select(a => a.DeviceId).ToListAsync();
        attributeOwners.ShouldBe(attributeOwners.Order(StringComparer.Ordinal));
        (await Store.StreamDeviceStatusesAsync(None).CountAsync()).ShouldBe(5);
    }

    [Fact]
    public async Task The_accepted_keys_stream_holds_each_accepted_device_with_its_accepted_key_only()
    {
        var plain = await fixture.AcceptedDeviceAsync("m1");
        var rekeyed = await fixture.AcceptedDeviceAsync("m2");
        var pending = await Store.RecordAuthRequestAsync(Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), new Dictionary<string, string> { ["mac"] = "p1" }, "key-p1", StoreFixture.Now, None);
        var second = await Store.RecordAuthRequestAsync(Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), new Dictionary<string, string> { ["mac"] = "m2" }, "key-m2-second", StoreFixture.Now, None);
        await Store.SetAuthSetStatusAsync(rekeyed.Id, second.AuthSet.Id, AuthStatus.Accepted, StoreFixture.Now, None);

        var keys = await Store.StreamAcceptedKeysAsync(None).ToListAsync();
        keys.OrderBy(k => k.PublicKey, StringComparer.Ordinal).ShouldBe(
        [
            new AcceptedKeyRow(plain.Id, plain.IdentityKey, "key-m1"),
            new AcceptedKeyRow(rekeyed.Id, rekeyed.IdentityKey, "key-m2-second"),
        ]);
        keys.ShouldNotContain(k => k.DeviceId == pending.Device.Id);

        var plainSet = (await Store.GetAuthSetsAsync([plain.Id], None))[0];
        await Store.SetAuthSetStatusAsync(plain.Id, plainSet.Id, AuthStatus.Rejected, StoreFixture.Now, None);
        (await Store.StreamAcceptedKeysAsync(None).Select(k => k.DeviceId).ToListAsync()).ShouldBe([rekeyed.Id]);
    }

    [Fact]
    public async Task An_inventory_known_to_differ_is_replaced_without_a_read_and_its_digest_stored()
    {
        var device = await fixture.AcceptedDeviceAsync("m1");
        await Store.SaveInventoryAsync(device.Id, [new("device_type", ["rpi4"]), new("old", ["1"])], replace: true, StoreFixture.Now, None);
        List<KeyValuePair<string, IReadOnlyList<string>>> changed = [new("device_type", ["bbb"]), new("artifact_name", ["release-2"]), new("kernel", ["6.1"])];
        (await Store.ReplaceChangedInventoryAsync(device.Id, changed, Gitfleet.Core.Facts.InventoryDigest.Of(changed), StoreFixture.Now.AddMinutes(1), None)).ShouldBeTrue();
        var stored = await Store.GetAttributesAsync([device.Id], None);
        string.Join(',', stored.Where(a => a.Scope == "inventory").Select(a => a.Name).Order(StringComparer.Ordinal)).ShouldBe("artifact_name,device_type,kernel", "a PUT replaces: 'old' is gone");
        var after = (await Store.GetDeviceAsync(device.Id, None))!;
        (after.DeviceType, after.ArtifactName, after.UpdatedAt).ShouldBe(("bbb", "release-2", StoreFixture.Now.AddMinutes(1)));

        // The digest was stored with it: the same inventory PUT again writes nothing (the device's update time stays).
        (await Store.SaveInventoryAsync(device.Id, changed, replace: true, StoreFixture.Now.AddMinutes(2), None)).ShouldBeTrue();
        (await Store.GetDeviceAsync(device.Id, None))!.UpdatedAt.ShouldBe(StoreFixture.Now.AddMinutes(1));

        (await Store.ReplaceChangedInventoryAsync("unknown", changed, Gitfleet.Core.Facts.InventoryDigest.Of(changed), StoreFixture.Now, None)).ShouldBeFalse();
        (await Store.GetAttributesAsync(["unknown"], None)).ShouldBeEmpty("nothing is written for a device that does not exist");
    }

    [Fact]
    public async Task An_inventory_save_rewrites_only_the_attributes_that_changed()
    {
        var device = await fixture.AcceptedDeviceAsync("m1");
        var t0 = StoreFixture.Now.AddMinutes(1);
        await Store.SaveInventoryAsync(device.Id, [new("device_type", ["rpi4"]), new("kernel", ["6.1"]), new("old", ["1"]), new("ips", ["a", "b"])], replace: true, t0, None);

        // A PUT: kernel unchanged, ips changed, old gone, uptime new; a repeated key keeps its last value.
        var t1 = t0.AddMinutes(1);
        (await Store.SaveInventoryAsync(device.Id,
            [new("device_type", ["rpi4"]), new("kernel", ["6.1"]), new("ips", ["a", "c"]), new("uptime", ["1"]), new("uptime", ["2"])], replace: true, t1, None)).ShouldBeTrue();
        var stored = (await Store.GetAttributesAsync([device.Id], None)).Where(a => a.Scope == "inventory").ToDictionary(a => a.Name);
        string.Join(',', stored.Keys.Order(StringComparer.Ordinal)).ShouldBe("device_type,ips,kernel,uptime", "a PUT replaces: 'old' is gone");
        (string.Join(',', stored["kernel"].Values), stored["kernel"].UpdatedAt).ShouldBe(("6.1", t0), "an unchanged value is not rewritten");
        stored["device_type"].UpdatedAt.ShouldBe(StoreFixture.Now, "unchanged since the device was accepted");
        (string.Join(',', stored["ips"].Values), stored["ips"].UpdatedAt).ShouldBe(("a,c", t1));
        (string.Join(',', stored["uptime"].Values), stored["uptime"].UpdatedAt).ShouldBe(("2", t1), "a repeated key keeps its last value");
        (await Store.GetDeviceAsync(device.Id, None))!.UpdatedAt.ShouldBe(t1, "the device's own update time follows every save that reached the store");

        // A PATCH: merges, and likewise leaves unchanged values alone.
        var t2 = t1.AddMinutes(1);
        (await Store.SaveInventoryAsync(device.Id, [new("kernel", ["6.1"]), new("uptime", ["3"])], replace: false, t2, None)).ShouldBeTrue();
        stored = (await Store.GetAttributesAsync([device.Id], None)).Where(a => a.Scope == "inventory").ToDictionary(a => a.Name);
        string.Join(',', stored.Keys.Order(StringComparer.Ordinal)).ShouldBe("device_type,ips,kernel,uptime");
        (stored["kernel"].UpdatedAt, string.Join(',', stored["uptime"].Values), stored["uptime"].UpdatedAt, stored["ips"].UpdatedAt).ShouldBe((t0, "3", t2, t1));
    }

    [Fact]
    public async Task An_inventory_of_more_attributes_than_one_insert_statement_holds_is_stored_whole()
    {
        // The changed attributes are written by one statement of several rows each (at most 32): 70 take three.
        var device = await fixture.AcceptedDeviceAsync("m1");
        var first = Enumerable.Range(0, 70).Select(i => new KeyValuePair<string, IReadOnlyList<string>>($"a{i:00}", [$"v{i}"])).ToList();
        (await Store.ReplaceChangedInventoryAsync(device.Id, first, Gitfleet.Core.Facts.InventoryDigest.Of(first), StoreFixture.Now, None)).ShouldBeTrue();
        var stored = (await Store.GetAttributesAsync([device.Id], None)).Where(a => a.Scope == "inventory").ToList();
        string.Join(',', stored.Select(a => $"{a.Name}={string.Join('|', a.Values)}")).ShouldBe(string.Join(',', first.Select(a => $"{a.Key}={a.Value[0]}")));

        // Every third value changes (an array now), the last ten are gone: 20 rows rewritten in one statement.
        var second = first.Take(60).Select((a, i) => i % 3 == 0 ? new KeyValuePair<string, IReadOnlyList<string>>(a.Key, [$"w{i}", "x"]) : a).ToList();
        var later = StoreFixture.Now.AddMinutes(1);
        (await Store.ReplaceChangedInventoryAsync(device.Id, second, Gitfleet.Core.Facts.InventoryDigest.Of(second), later, None)).ShouldBeTrue();
        stored = (await Store.GetAttributesAsync([device.Id], None)).Where(a => a.Scope == "inventory").ToList();
        string.Join(',', stored.Select(a => $"{a.Name}={string.Join('|', a.Values)}")).ShouldBe(string.Join(',', second.Select(a => $"{a.Key}={string.Join('|', a.Value)}")));
        stored.Count(a => a.UpdatedAt == later).ShouldBe(20, "only the changed values are rewritten");
    }

    [Fact]
    public async Task A_status_report_answers_exactly_the_rows_it_stored()
    {
        var a = await fixture.AcceptedDeviceAsync("m1");
        var b = await fixture.AcceptedDeviceAsync("m2");
        var deployment = StoreFixture.Deployment("r-1", [a.Id, b.Id], StoreFixture.Now, retries: 1);
        await Store.CreateDeploymentAsync(deployment, None);
        var rowA = deployment.Devices.Single(d => d.DeviceId == a.Id).Id;
        var rowB = deployment.Devices.Single(d => d.DeviceId == b.Id).Id;
        var reports = new (string Row, DeviceDeploymentState Status, string? Substate)[]
        {
            (rowA, DeviceDeploymentState.Downloading, "fetching"), (rowA, DeviceDeploymentState.Installing, null), (rowA, DeviceDeploymentState.Failure, null),
            (rowA, DeviceDeploymentState.Downloading, null), (rowB, DeviceDeploymentState.Downloading, null), (rowA, DeviceDeploymentState.Rebooting, "boot"),
            (rowA, DeviceDeploymentState.Success, null), (rowB, DeviceDeploymentState.Success, null), (rowB, DeviceDeploymentState.Success, "again"),
        };
        var at = StoreFixture.Now;
        foreach (var (row, status, substate) in reports)
        {
            at = at.AddSeconds(7);
            var outcome = (await Store.UpdateDeviceStatusAsync(row, status, substate, at, None))!;
            var storedRow = await Store.GetDeviceDeploymentByIdAsync(row, None);
            outcome.Device.ShouldBe(storedRow, $"{status}: the answer is the row as stored");
            var storedDeployment = (await Store.GetDeploymentAsync(deployment.Deployment.Id, None))!;
            (outcome.Deployment.Id, outcome.Deployment.Status, outcome.Deployment.FinishedAt).ShouldBe((storedDeployment.Id, storedDeployment.Status, storedDeployment.FinishedAt), $"{status}: and its deployment as stored");
            var deviceId = storedRow!.DeviceId;
            outcome.DeviceStillHasUnfinished.ShouldBe(await Store.GetNextForDeviceAsync(deviceId, None) is not null, $"{status}");
        }

        var final = (await Store.GetDeploymentAsync(deployment.Deployment.Id, None))!;
        (final.Status, final.FinishedAt).ShouldBe((DeploymentState.Finished, StoreFixture.Now.AddSeconds(7 * 8)), "finished when the last device finished; a late report of a finished device does not move it");
        (await Store.GetDeviceDeploymentByIdAsync(rowA, None))!.Attempts.ShouldBe(2);
        (await Store.UpdateDeviceStatusAsync("unknown", DeviceDeploymentState.Success, null, at, None)).ShouldBeNull();
    }

    [Fact]
    public async Task Point_reads_running_at_once_each_read_their_own_device()
    {
        var devices = new List<DeviceRecord>();
        for (var i = 0; i < 8; i++)
        {
            devices.Add(await fixture.AcceptedDeviceAsync("m" + i));
        }

        // More reads at once than connections kept idle for them: each borrows its own.
        var reads = Enumerable.Range(0, 400).Select(i => Task.Run(async () =>
        {
            var device = devices[i % devices.Count];
            var read = await Store.GetDeviceAsync(device.Id, None);
            var lookup = await Store.FindAuthSetAsync(device.Identity, "key-" + device.Identity["mac"], None);
            return (Expected: device.Id, Read: read!.Id, Found: lookup!.Device.Id, AuthSetOf: lookup.AuthSet!.DeviceId);
        }));
        foreach (var (expected, read, found, authSetOf) in await Task.WhenAll(reads))
        {
            (read, found, authSetOf).ShouldBe((expected, expected, expected));
        }

        (await Store.GetDeviceAsync("unknown", None)).ShouldBeNull();
    }
}
