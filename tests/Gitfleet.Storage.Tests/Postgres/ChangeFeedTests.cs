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
        (await Store.Changes.PruneAsync(TimeSpan.Zero, None)).ShouldBeGreaterThan(0);
        var reset = new TaskCompletionSource<ChangeBatch>();
        using var again = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var follow = follower.Changes.FollowAsync(position, (batch, _) =>
        {
            reset.TrySetResult(batch);
            return Task.CompletedTask;
        }, _ => { }, again.Token);
        (await reset.Task.WaitAsync(TimeSpan.FromSeconds(5))).Reset.ShouldBeTrue();
        await again.CancelAsync();
        await follow;
    }
}
