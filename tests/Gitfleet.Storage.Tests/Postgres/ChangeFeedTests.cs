using System.Collections.Concurrent;
using Gitfleet.Storage.Cluster;
using Gitfleet.Storage.Model;
using Gitfleet.Storage.Postgres;
using Gitfleet.Storage.Tests.Sqlite;

namespace Gitfleet.Storage.Tests.Postgres;

/// <summary>The change feed between two "replicas" (two stores) on one real PostgreSQL database.</summary>
public sealed class ChangeFeedTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly StoreFixture fixture = new(StoreEngine.Postgres);
    private readonly ConcurrentQueue<Change> received = new();
    private readonly ConcurrentQueue<(long Last, long Through)> batches = new();
    private readonly CancellationTokenSource stop = new();
    private PostgresFleetStore follower = null!;
    private Task following = Task.CompletedTask;
    private int resets;
    private int lost;

    private PostgresFleetStore Store => (PostgresFleetStore)fixture.Store;

    public async Task InitializeAsync()
    {
        await fixture.InitializeAsync();
        follower = await fixture.OpenPostgresAsync();
        var position = await follower.Changes.PositionAsync(None);
        following = follower.Changes.FollowAsync(position, (batch, _) =>
        {
            if (batch.Reset)
            {
                Interlocked.Increment(ref resets);
            }

            foreach (var change in batch.Changes)
            {
                received.Enqueue(change);
            }

            if (batch.Changes.Count > 0)
            {
                batches.Enqueue((batch.Changes[^1].Seq, batch.Through));
            }

            return Task.CompletedTask;
        }, _ => Interlocked.Increment(ref lost), stop.Token);
    }

    public async Task DisposeAsync()
    {
        await stop.CancelAsync();
        await following;
        stop.Dispose();
        await follower.DisposeAsync();
        await fixture.DisposeAsync();
    }

    private async Task<Change> WaitForAsync(string kind, string key, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < deadline)
        {
            if (received.FirstOrDefault(c => c.Kind == kind && c.Key == key) is { } change)
            {
                return change;
            }

            await Task.Delay(10);
        }

        throw new TimeoutException($"no {kind} change for {key} within {limit}; got: {string.Join(", ", received.Select(c => $"{c.Kind}:{c.Key}"))}");
    }

    [Fact]
    public async Task A_rejected_device_and_a_new_deployment_reach_the_other_replica_within_a_second_in_commit_order()
    {
        var device = await fixture.AcceptedDeviceAsync("m1");
        await WaitForAsync(ChangeKinds.Device, device.Id, TimeSpan.FromSeconds(1));
        var started = DateTime.UtcNow;
        var authSet = (await Store.GetAuthSetsAsync([device.Id], None))[0];
        await Store.SetAuthSetStatusAsync(device.Id, authSet.Id, AuthStatus.Rejected, StoreFixture.Now, None);
        var statusChange = await WaitForAsync(ChangeKinds.Device, device.Id, TimeSpan.FromSeconds(1));
        (DateTime.UtcNow - started).ShouldBeLessThan(TimeSpan.FromSeconds(1));

        var deployment = StoreFixture.Deployment("r1", [device.Id], StoreFixture.Now);
        await Store.CreateDeploymentAsync(deployment, None);
        var pending = await WaitForAsync(ChangeKinds.Pending, device.Id, TimeSpan.FromSeconds(1));
        pending.Seq.ShouldBeGreaterThan(statusChange.Seq);
        received.Select(c => c.Seq).ShouldBeInOrder();

        // A status report that finishes the deployment changes what the device has pending; one that does not, not.
        var row = (await Store.ListDeviceDeploymentsAsync(deployment.Deployment.Id, 1, 10, None)).Items[0];
        var before = received.Count;
        await Store.UpdateDeviceStatusAsync(row.Id, DeviceDeploymentState.Downloading, null, StoreFixture.Now, None);
        await Store.UpdateDeviceStatusAsync(row.Id, DeviceDeploymentState.Success, null, StoreFixture.Now, None);
        await WaitForAsync(ChangeKinds.Pending, device.Id, TimeSpan.FromSeconds(1));
        await Task.Delay(200);
        received.Count.ShouldBe(before + 1);
    }

    [Fact]
    public async Task A_changed_inventory_digest_and_a_changed_auth_set_reach_the_other_replica_and_an_unchanged_inventory_writes_no_change()
    {
        var device = await fixture.AcceptedDeviceAsync("m1", deviceType: null);
        await WaitForAsync(ChangeKinds.AuthSet, device.Id, TimeSpan.FromSeconds(1));
        List<KeyValuePair<string, IReadOnlyList<string>>> inventory = [new("device_type", ["rpi4"]), new("ip", ["10.0.0.1"])];
        await Store.SaveInventoryAsync(device.Id, inventory, replace: true, StoreFixture.Now, None);
        var changed = await WaitForAsync(ChangeKinds.Inventory, device.Id, TimeSpan.FromSeconds(1));

        // The same inventory again stores nothing and tells nobody; a PATCH (no digest) and another PUT do.
        await Store.SaveInventoryAsync(device.Id, inventory, replace: true, StoreFixture.Now, None);
        await Store.SaveInventoryAsync(device.Id, [new("ip", ["10.0.0.2"])], replace: false, StoreFixture.Now, None);
        await Store.SaveInventoryAsync(device.Id, inventory, replace: true, StoreFixture.Now, None);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        while (received.Count(c => c.Kind == ChangeKinds.Inventory) < 3 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        await Task.Delay(200);
        received.Count(c => c.Kind == ChangeKinds.Inventory && c.Key == device.Id).ShouldBe(3, "first PUT, PATCH, PUT again; not the unchanged PUT");
        received.Where(c => c.Kind == ChangeKinds.Inventory).Min(c => c.Seq).ShouldBe(changed.Seq);

        // A second key accepted: the first one is rejected, the device stays accepted (no device change), the auth sets change.
        var identity = new Dictionary<string, string> { ["mac"] = "m1" };
        var second = await Store.RecordAuthRequestAsync(Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), identity, "key-m1-second", StoreFixture.Now, None);
        var before = received.Count(c => c.Kind == ChangeKinds.AuthSet);
        var devicesBefore = received.Count(c => c.Kind == ChangeKinds.Device);
        await Store.SetAuthSetStatusAsync(device.Id, second.AuthSet.Id, AuthStatus.Accepted, StoreFixture.Now, None);
        deadline = DateTime.UtcNow + TimeSpan.FromSeconds(1);
        while (received.Count(c => c.Kind == ChangeKinds.AuthSet) == before)
        {
            DateTime.UtcNow.ShouldBeLessThan(deadline, "no auth set change within a second");
            await Task.Delay(10);
        }

        await Task.Delay(200);
        received.Count(c => c.Kind == ChangeKinds.Device).ShouldBe(devicesBefore, "the device's status did not change");

        // Every batch says the position it brings a replica to: its last change.
        batches.ShouldNotBeEmpty();
        batches.ShouldAllBe(b => b.Through == b.Last);
    }

    [Fact]
    public async Task Changes_made_while_the_follower_was_disconnected_arrive_after_it_reconnects()
    {
        var device = await fixture.AcceptedDeviceAsync("m1");
        await WaitForAsync(ChangeKinds.Device, device.Id, TimeSpan.FromSeconds(2));
        await fixture.Postgres.ExecuteAsync(
            $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{fixture.DatabaseName}' AND application_name = 'gitfleet-change-feed'");
        await Store.Changes.PublishAsync(ChangeKinds.ReconcileRequest, "main", None);
        await WaitForAsync(ChangeKinds.ReconcileRequest, "main", TimeSpan.FromSeconds(10));
        lost.ShouldBeGreaterThan(0);
        for (var i = 0; i < 100 && !follower.Changes.IsConnected; i++)
        {
            await Task.Delay(20); // connected again once caught up
        }

        follower.Changes.IsConnected.ShouldBeTrue();
    }

    [Fact]
    public async Task A_follower_behind_pruned_changes_is_told_to_reload_everything()
    {
        await stop.CancelAsync();
        await following;
        var position = await follower.Changes.PositionAsync(None);
        await fixture.AcceptedDeviceAsync("m1");
        await Task.Delay(50);
        var newest = await Store.Changes.PositionAsync(None);
        (await Store.Changes.PruneAsync(TimeSpan.Zero, None)).ShouldBeGreaterThan(0);
        (await Store.Changes.PositionAsync(None)).ShouldBe(newest, "every change pruned: the position stays where the changes ended");
        var reset = new TaskCompletionSource<ChangeBatch>();
        using var again = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var follow = follower.Changes.FollowAsync(position, (batch, _) =>
        {
            reset.TrySetResult(batch);
            return Task.CompletedTask;
        }, _ => { }, again.Token);
        var resetBatch = await reset.Task.WaitAsync(TimeSpan.FromSeconds(5));
        resetBatch.Reset.ShouldBeTrue();
        resetBatch.Through.ShouldBe(await follower.Changes.PositionAsync(None), "a reset brings the follower to the position read before it");
        await again.CancelAsync();
        await follow;
    }
}
