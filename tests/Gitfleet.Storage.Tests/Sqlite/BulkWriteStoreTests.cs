using Gitfleet.Core.Rollouts;
using Gitfleet.Storage.Model;
using Gitfleet.Storage.Postgres;

namespace Gitfleet.Storage.Tests.Sqlite;

public sealed class BulkWriteStoreTestsOnSqlite() : BulkWriteStoreTests(StoreEngine.Sqlite);

public sealed class BulkWriteStoreTestsOnPostgres() : BulkWriteStoreTests(StoreEngine.Postgres);

/// <summary>
/// Writes of many rows in one go (a wave's decision, branch membership), more rows than PostgreSQL's COPY threshold so
/// that engine takes its binary-COPY path, and stored maps read back and searched as the contract says on both engines.
/// </summary>
public abstract class BulkWriteStoreTests(StoreEngine engine) : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private const int Many = PostgresFleetStore.DefaultBulkCopyMinimumRows * 3;
    private readonly StoreFixture fixture = new(engine);

    private Gitfleet.Storage.Sql.SqlFleetStore Store => fixture.Store;

    public Task InitializeAsync() => fixture.InitializeAsync();

    public Task DisposeAsync() => fixture.DisposeAsync();

    [Fact]
    public async Task A_wave_of_many_devices_is_written_whole_and_a_later_row_of_a_device_wins()
    {
        var devices = Enumerable.Range(0, Many).Select(i => $"device-{i:d4}").ToList();
        var os = StoreFixture.Deployment("image-2", devices, StoreFixture.Now);
        var configuration = StoreFixture.Deployment("configuration-1", devices, StoreFixture.Now, kind: "configuration");
        var map = new Dictionary<string, string> { ["zone"] = "Zürich \"north\"", ["a"] = "1" };
        var rollout = devices.Select(d => new RolloutDeviceRecord(d, RolloutDeviceState.Scheduled, 1, [os.Deployment.Id], null, StoreFixture.Now)).ToList();
        rollout.Add(new RolloutDeviceRecord(devices[7], RolloutDeviceState.Failed, 2, [os.Deployment.Id], "later", StoreFixture.Now.AddSeconds(1)));
        await Store.CommitRolloutAsync(new RolloutCommit
        {
            Branch = "main", Generation = 1, Progress = RolloutProgress.Start, StartedAt = StoreFixture.Now, ReplaceDevices = true,
            Devices = rollout, Deployments = [os, configuration],
            Configured = devices.Select(d => new ConfiguredWrite(d, map, configuration.Deployment.Id)).ToList(),
            Now = StoreFixture.Now,
        }, None);

        var rows = await Store.ListRolloutDevicesAsync("main", None);
        rows.Count.ShouldBe(Many);
        rows.Single(r => r.DeviceId == devices[7]).ShouldSatisfyAllConditions(
            r => r.State.ShouldBe(RolloutDeviceState.Failed), r => r.Attempts.ShouldBe(2), r => r.LastError.ShouldBe("later"));
        var parts = await Store.GetDevicePartsAsync(devices.Select(d => new DevicePart(os.Deployment.Id, d)).ToList(), None);
        parts.Count.ShouldBe(Many);
        parts.ShouldAllBe(p => p.Status == DeviceDeploymentState.Pending && !p.HasLog && p.Kind == "os");
        var next = (await Store.GetNextForDeviceAsync(devices[^1], None))!;
        next.Deployment.Id.ShouldBe(os.Deployment.Id, "deployments come in the order given");
        next.Device.Attempts.ShouldBe(0);
        next.Device.FinishedAt.ShouldBeNull();
        var configured = (await Store.GetConfigurationAsync(devices[^1], None))!;
        configured.Configured.ShouldBe(map, ignoreOrder: true);
        configured.DeploymentId.ShouldBe(configuration.Deployment.Id);
        (await Store.GetDeploymentAsync(configuration.Deployment.Id, None))!.Configuration.ShouldBeNull();

        // The next decision updates every row already there.
        await Store.CommitRolloutAsync(new RolloutCommit
        {
            Branch = "main", Generation = 1, Progress = RolloutProgress.Start, StartedAt = StoreFixture.Now,
            Devices = devices.Select(d => new RolloutDeviceRecord(d, RolloutDeviceState.Succeeded, 1, [os.Deployment.Id], null, StoreFixture.Now.AddMinutes(1))).ToList(),
            Now = StoreFixture.Now.AddMinutes(1),
        }, None);
        (await Store.ListRolloutDevicesAsync("main", None)).ShouldAllBe(r => r.State == RolloutDeviceState.Succeeded && r.LastError == null);
    }

    [Fact]
    public async Task Branch_membership_of_many_devices_moves_between_branches()
    {
        var devices = Enumerable.Range(0, Many).Select(i => $"member-{i:d4}").ToList();
        (await Store.SyncBranchMembersAsync("production", devices.ToHashSet(), None)).ShouldBe(Many);
        var half = devices.Take(Many / 2).ToHashSet();
        (await Store.SyncBranchMembersAsync("canary", half, None)).ShouldBe(half.Count);
        (await Store.SyncBranchMembersAsync("production", devices.Skip(Many / 2).ToHashSet(), None)).ShouldBe(0, "the moved devices left production already");
        var branches = await Store.GetBranchesAsync(devices, None);
        branches.Count.ShouldBe(Many);
        devices.ShouldAllBe(d => branches[d] == (half.Contains(d) ? "canary" : "production"));
    }

    [Fact]
    public async Task Stored_maps_and_attribute_values_read_back_and_filter_as_written()
    {
        var plain = await fixture.AcceptedDeviceAsync("02:00:00:00:00:01");
        var other = await fixture.AcceptedDeviceAsync("02:00:00:00:00:02");
        await Store.SaveInventoryAsync(plain.Id, [new("location", ["Zürich \"north\""]), new("ports", ["eth0", "wlan0"])], replace: false, StoreFixture.Now, None);
        await Store.SaveInventoryAsync(other.Id, [new("location", ["Genève"])], replace: false, StoreFixture.Now, None);
        await Store.SetReportedAsync(plain.Id, new Dictionary<string, string> { ["b"] = "2", ["a"] = "ü" }, StoreFixture.Now, None);

        (await Store.GetDeviceAsync(plain.Id, None))!.Identity.ShouldBe(new Dictionary<string, string> { ["mac"] = "02:00:00:00:00:01" });
        var attributes = await Store.GetAttributesAsync([plain.Id], None);
        attributes.Single(a => a.Name == "location").Values.ShouldBe(["Zürich \"north\""]);
        attributes.Single(a => a.Name == "ports").Values.ShouldBe(["eth0", "wlan0"]);
        (await Store.GetConfigurationAsync(plain.Id, None))!.Reported.ShouldBe(new Dictionary<string, string> { ["a"] = "ü", ["b"] = "2" }, ignoreOrder: true);

        async Task<IEnumerable<string>> Find(string op, params string[] values) =>
            (await Store.ListDevicesAsync(new DeviceQuery { Filters = [new AttributeFilter(AttributeScope.Inventory, "location", op, values)] }, None)).Items.Select(d => d.Id);
        (await Find("$eq", "Zürich \"north\"")).ShouldBe([plain.Id]);
        (await Find("$eq", "Genève")).ShouldBe([other.Id]);
        (await Find("$in", "Genève", "Zürich \"north\"")).ShouldBe(new[] { plain.Id, other.Id }, ignoreOrder: true);
        (await Find("$ne", "Genève")).ShouldBe([plain.Id]);
        (await Find("$eq")).ShouldBeEmpty("a filter without a value matches nothing");
        var search = await Store.SearchDevicesAsync(new DeviceSearch { Attributes = [(AttributeScope.Inventory, "location", "Genève")] }, None);
        search.Devices.ShouldHaveSingleItem().Id.ShouldBe(other.Id);
        (await Store.SearchDevicesAsync(new DeviceSearch { Text = "02:00:00:00:00:02" }, None)).Devices.ShouldHaveSingleItem().Id.ShouldBe(other.Id);
    }
}
