using Gitfleet.Storage.Cluster;
using Gitfleet.Storage.Postgres;
using Gitfleet.Storage.Tests.Sqlite;

namespace Gitfleet.Storage.Tests.Postgres;

/// <summary>The leader lease and its fencing, with two "replicas" (two stores) on one real PostgreSQL database.</summary>
public sealed class LeaderLeaseTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly StoreFixture fixture = new(StoreEngine.Postgres);
    private PostgresFleetStore other = null!;

    private PostgresFleetStore Store => (PostgresFleetStore)fixture.Store;

    public async Task InitializeAsync()
    {
        await fixture.InitializeAsync();
        other = await fixture.OpenPostgresAsync();
    }

    public async Task DisposeAsync()
    {
        await other.DisposeAsync();
        await fixture.DisposeAsync();
    }

    [Fact]
    public async Task One_replica_leads_the_other_follows_and_takes_over_only_after_expiry_with_a_new_token()
    {
        // Long enough that a loaded machine still renews in time; the test waits it out once.
        var a = Store.Lease("reconciler", "replica-a", TimeSpan.FromSeconds(3));
        var b = other.Lease("reconciler", "replica-b", TimeSpan.FromSeconds(3));

        var first = await a.TryAcquireAsync(None);
        first.IsLeader.ShouldBeTrue();
        var refused = await b.TryAcquireAsync(None);
        refused.IsLeader.ShouldBeFalse();
        refused.Holder.ShouldBe("replica-a");
        (await a.TryAcquireAsync(None)).Token.ShouldBe(first.Token, "renewing keeps the term");

        await Task.Delay(3300); // a stops renewing (paused or dead)
        var second = await b.TryAcquireAsync(None);
        second.IsLeader.ShouldBeTrue();
        second.Token.ShouldBeGreaterThan(first.Token);
        (await a.TryAcquireAsync(None)).IsLeader.ShouldBeFalse("the old holder does not get it back while b renews");
    }

    [Fact]
    public async Task A_released_lease_is_taken_at_once_and_a_holder_that_let_it_expire_starts_a_new_term()
    {
        var a = Store.Lease("reconciler", "replica-a", TimeSpan.FromMinutes(5));
        var b = other.Lease("reconciler", "replica-b", TimeSpan.FromMinutes(5));
        var first = await a.TryAcquireAsync(None);
        await a.ReleaseAsync(None);
        var second = await b.TryAcquireAsync(None);
        second.IsLeader.ShouldBeTrue();
        second.Token.ShouldBeGreaterThan(first.Token);

        var c = other.Lease("watcher", "replica-c", TimeSpan.FromMilliseconds(300));
        var term = await c.TryAcquireAsync(None);
        await Task.Delay(500);
        (await c.TryAcquireAsync(None)).Token.ShouldBeGreaterThan(term.Token, "its writes under the old token must now be refused");
    }

    [Fact]
    public async Task A_paused_former_leader_cannot_write_after_a_new_leader_took_over()
    {
        var a = Store.Lease("reconciler", "replica-a", TimeSpan.FromMilliseconds(500));
        var b = other.Lease("reconciler", "replica-b", TimeSpan.FromMinutes(5));
        var oldTerm = await a.TryAcquireAsync(None);
        var device = await fixture.AcceptedDeviceAsync("m1");
        var first = StoreFixture.Deployment("written-while-leading", [device.Id], StoreFixture.Now);
        using (oldTerm.Fence("reconciler")!.Enter())
        {
            (await Store.CreateDeploymentAsync(first, None)).Existing.ShouldBeFalse();
        }

        await Task.Delay(700); // a is paused past its lease; b takes over
        var newTerm = await b.TryAcquireAsync(None);
        newTerm.IsLeader.ShouldBeTrue();

        var late = StoreFixture.Deployment("written-after-takeover", [device.Id], StoreFixture.Now);
        using (oldTerm.Fence("reconciler")!.Enter())
        {
            var refused = await Should.ThrowAsync<FencedWriteException>(() => Store.CreateDeploymentAsync(late, None));
            refused.Message.ShouldContain("no longer leads");
        }

        (await Store.GetDeploymentAsync(late.Deployment.Id, None)).ShouldBeNull();
        using (newTerm.Fence("reconciler")!.Enter())
        {
            (await other.CreateDeploymentAsync(late, None)).Existing.ShouldBeFalse();
        }

        // Writes outside leader work (devices, operators) are never fenced.
        (await Store.SaveInventoryAsync(device.Id, [new("ip", ["10.0.0.1"])], replace: false, StoreFixture.Now, None)).ShouldBeTrue();
    }

    [Fact]
    public async Task A_takeover_waits_for_the_leaders_write_in_flight_which_commits_before_the_new_term()
    {
        var a = Store.Lease("reconciler", "replica-a", TimeSpan.FromMilliseconds(200));
        var b = other.Lease("reconciler", "replica-b", TimeSpan.FromMinutes(5));
        var term = await a.TryAcquireAsync(None);
        var device = await fixture.AcceptedDeviceAsync("m1");
        await Task.Delay(300);
        // The lease expired but nobody took it yet: the fence still holds, and the write commits.
        using (term.Fence("reconciler")!.Enter())
        {
            (await Store.CreateDeploymentAsync(StoreFixture.Deployment("in-flight", [device.Id], StoreFixture.Now), None)).Existing.ShouldBeFalse();
        }

        (await b.TryAcquireAsync(None)).Token.ShouldBeGreaterThan(term.Token);
    }

    [Fact]
    public async Task The_leader_renews_while_its_own_write_is_in_flight_and_a_takeover_still_waits_for_that_write()
    {
        var a = Store.Lease("reconciler", "replica-a", TimeSpan.FromMilliseconds(800));
        var b = other.Lease("reconciler", "replica-b", TimeSpan.FromMinutes(5));
        var term = await a.TryAcquireAsync(None);

        // A fenced write of the leader, held open where the store's write transactions check the fence.
        await using var connection = new Npgsql.NpgsqlConnection(fixture.Postgres.ConnectionString(fixture.DatabaseName));
        await connection.OpenAsync();
        await using var write = await connection.BeginTransactionAsync();
        await using (var check = new Npgsql.NpgsqlCommand(PostgresFleetStore.FenceCheck.Replace("@Lease", "'reconciler'", StringComparison.Ordinal), connection, write))
        {
            ((long)(await check.ExecuteScalarAsync())!).ShouldBe(term.Token);
        }

        using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            var renewed = await a.TryAcquireAsync(limit.Token);
            renewed.IsLeader.ShouldBeTrue("the renewal does not wait for the leader's own write");
            renewed.Token.ShouldBe(term.Token);
        }

        await Task.Delay(1000); // a stops renewing; its write is still open
        var takeover = b.TryAcquireAsync(None);
        (await Task.WhenAny(takeover, Task.Delay(1500))).ShouldNotBe(takeover, "a takeover waits until the old leader's write ended");
        await write.CommitAsync();
        var taken = await takeover;
        taken.IsLeader.ShouldBeTrue();
        taken.Token.ShouldBeGreaterThan(term.Token);
    }
}
