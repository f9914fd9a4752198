using Gitfleet.Storage.Model;
using Gitfleet.Storage.Tests.Sqlite;

namespace Gitfleet.Storage.Tests.Postgres;

/// <summary>
/// The group-commit writer on PostgreSQL runs every kind of device write on its own thread without waiting for the
/// thread pool: the shared SQL (Dapper's async calls, a list parameter passed as an array) completes synchronously
/// through the writer's connection, and what it wrote is there.
/// </summary>
public sealed class GroupWriterThreadTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly StoreFixture fixture = new(StoreEngine.Postgres);

    public Task InitializeAsync() => fixture.InitializeAsync();

    public Task DisposeAsync() => fixture.DisposeAsync();

    [Fact]
    public async Task Every_kind_of_group_write_runs_synchronously_on_the_writers_thread()
    {
        var store = fixture.Store;
        var device = await fixture.AcceptedDeviceAsync("aa:01"); // an auth request and an inventory
        var deployment = StoreFixture.Deployment("img-2", [device.Id], StoreFixture.Now);
        await store.CreateDeploymentAsync(deployment, None);
        var row = deployment.Devices[0];

        (await store.ReplaceChangedInventoryAsync(device.Id, [new("device_type", ["rpi5"])], 42, StoreFixture.Now, None)).ShouldBeTrue();
        await store.SaveCheckInsAsync([new(device.Id, StoreFixture.Now.AddMinutes(1))], None);
        await store.SaveProvidedAsync([new(device.Id, "rootfs-image.version", "img-1")], StoreFixture.Now, None);
        await store.SetReportedAsync(device.Id, new Dictionary<string, string> { ["ntp"] = "pool" }, StoreFixture.Now, None);
        await store.UpdateDeviceStatusAsync(row.Id, DeviceDeploymentState.Downloading, null, StoreFixture.Now, None);
        await store.SaveLogAsync(row.Id, [new DeploymentLogMessage("error", "disk full", null)], StoreFixture.Now, None);
        var finished = await store.UpdateDeviceStatusAsync(row.Id, DeviceDeploymentState.Failure, null, StoreFixture.Now, None); // asks "= ANY(@statuses)"

        finished!.Deployment.Status.ShouldBe(DeploymentState.Finished);
        (await store.GetDeviceAsync(device.Id, None))!.DeviceType.ShouldBe("rpi5");
        (await store.GetLogAsync(row.Id, None)).ShouldNotBeNull().ShouldHaveSingleItem().Message.ShouldBe("disk full");
        var (batches, writes, waits) = fixture.Store.GroupCommits;
        writes.ShouldBe(9);
        batches.ShouldBeGreaterThan(0);
        waits.ShouldBe(0, "a group write went asynchronous and the writer's thread waited for the thread pool");
    }
}
