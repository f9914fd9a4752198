using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Gitfleet.Server.Tests.Support;
using Gitfleet.TestSupport;
using Gitfleet.TestSupport.Mender;

namespace Gitfleet.Server.Tests.Cluster;

/// <summary>Two or three in-process replicas on one real PostgreSQL database: one server, whichever replica answers.</summary>
public sealed class ReplicaTests
{
    private static async Task<HttpStatusCode> NextStatusAsync(TestServer replica, string token)
    {
        using var client = replica.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/devices/v2/deployments/device/deployments/next")
        {
            Content = JsonContent.Create(new { device_provides = new { artifact_name = "release-1", device_type = "raspberrypi4" } }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<string> MetricsAsync(TestServer replica)
    {
        using var client = replica.Anonymous();
        return await client.GetStringAsync("/metrics");
    }

    private static async Task<string?> LeaderAsync(IEnumerable<TestServer> replicas)
    {
        foreach (var replica in replicas)
        {
            if ((await MetricsAsync(replica)).Contains("\ngitfleet_leader 1", StringComparison.Ordinal))
            {
                return replica.Options().ReplicaName;
            }
        }

        return null;
    }

    /// <summary>The leader and the follower of a two-replica cluster, once one leads (within 10 s).</summary>
    private static async Task<(TestServer Leading, TestServer Following)> RolesAsync(TestCluster cluster)
    {
        string? leader = null;
        for (var i = 0; i < 100 && leader is null; i++)
        {
            leader = await LeaderAsync(cluster.Replicas);
            await Task.Delay(100);
        }

        leader.ShouldNotBeNull();
        var leading = cluster.Replicas.Single(r => r.Options().ReplicaName == leader);
        return (leading, cluster.Replicas.Single(r => r != leading));
    }

    [ClusterFact]
    public async Task A_device_rejected_through_one_replica_is_refused_by_the_others_within_a_second()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var (a, b, c) = (cluster.Replicas[0], cluster.Replicas[1], cluster.Replicas[2]);
        File.ReadAllText(b.Server.CertificatePath!).ShouldBe(File.ReadAllText(a.Server.CertificatePath!), "one certificate for the cluster");

        using var device = await a.AcceptedDeviceAsync();
        (await NextStatusAsync(b, device.Token!)).ShouldBe(HttpStatusCode.NoContent, "a token issued by one replica is valid on the others");
        (await NextStatusAsync(c, device.Token!)).ShouldBe(HttpStatusCode.NoContent);

        using var admin = await a.AdminAsync();
        var (deviceId, authSetId) = await TestServer.FindDeviceAsync(admin, device);
        var clock = Stopwatch.StartNew();
        using (var reject = await admin.PutAsJsonAsync($"/api/management/v2/devauth/devices/{deviceId}/auth/{authSetId}/status", new { status = "rejected" }))
        {
            reject.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        }

        foreach (var other in new[] { b, c })
        {
            while (await NextStatusAsync(other, device.Token!) != HttpStatusCode.Unauthorized)
            {
                clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(1), "the rejection reached the other replica too late");
                await Task.Delay(20);
            }
        }

        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(1));
    }

    [ClusterFact]
    public async Task A_follower_whose_engine_waits_on_the_store_still_applies_a_rejection_within_a_second()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var (leading, following) = await RolesAsync(cluster);
        using var device = await leading.AcceptedDeviceAsync();
        var admitted = Stopwatch.StartNew();
        while (await NextStatusAsync(following, device.Token!) != HttpStatusCode.NoContent)
        {
            admitted.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5), "the admission did not reach the follower");
            await Task.Delay(20);
        }

        using var admin = await leading.AdminAsync();
        var (deviceId, authSetId) = await TestServer.FindDeviceAsync(admin, device);

        // The leader publishes a status while the status table is locked: the follower's read of it waits on
        // PostgreSQL (as its engine's refresh waits for a decision, or a cold replica's reads take their time).
        var connectionString = cluster.Postgres.ConnectionString(cluster.Database);
        await using var holder = new Npgsql.NpgsqlConnection(connectionString);
        await holder.OpenAsync();
        await using var locked = await holder.BeginTransactionAsync();
        await using (var lockTable = new Npgsql.NpgsqlCommand("LOCK TABLE branch_status IN ACCESS EXCLUSIVE MODE", holder, locked))
        {
            await lockTable.ExecuteNonQueryAsync();
        }

        await using (var publisher = new Npgsql.NpgsqlConnection(connectionString))
        {
            await publisher.OpenAsync();
            await using var publish = new Npgsql.NpgsqlCommand("SELECT gitfleet_change('status', 'production')", publisher);
            await publish.ExecuteNonQueryAsync();
            var waiting = Stopwatch.StartNew();
            await using var waiters = new Npgsql.NpgsqlCommand(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'branch_status' AND NOT l.granted", publisher);
            while ((long)(await waiters.ExecuteScalarAsync())! == 0)
            {
                waiting.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10), "the follower never read the published status");
                await Task.Delay(20);
            }
        }

        using (var reject = await admin.PutAsJsonAsync($"/api/management/v2/devauth/devices/{deviceId}/auth/{authSetId}/status", new { status = "rejected" }))
        {
            reject.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        }

        var clock = Stopwatch.StartNew();
        while (await NextStatusAsync(following, device.Token!) != HttpStatusCode.Unauthorized)
        {
            clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(1), "the rejection waited behind the follower's status read");
            await Task.Delay(20);
        }

        await locked.RollbackAsync();
    }

    [ClusterFact]
    public async Task A_token_revoked_or_a_session_ended_through_one_replica_is_refused_by_the_others_on_its_next_use()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var (a, b) = (cluster.Replicas[0], cluster.Replicas[1]);
        using var admin = await a.AdminAsync();
        string token;
        using (var created = await admin.PostAsJsonAsync("/api/management/v1/useradm/settings/tokens", new { name = "ci", expires_in = 3600 }))
        {
            created.StatusCode.ShouldBe(HttpStatusCode.OK);
            token = await created.Content.ReadAsStringAsync();
        }

        var session = await a.LoginAsync();
        var id = (await admin.GetFromJsonAsync<JsonElement>("/api/management/v1/useradm/settings/tokens"))
            .EnumerateArray().Single(t => t.GetProperty("name").GetString() == "ci").GetProperty("id").GetString();
        var clock = Stopwatch.StartNew();
        while (await MeStatusAsync(b, token) != HttpStatusCode.OK)
        {
            clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(1), "a token created through one replica did not reach the other");
            await Task.Delay(20);
        }

        (await MeStatusAsync(b, session)).ShouldBe(HttpStatusCode.OK);
        (await admin.DeleteAsync($"/api/management/v1/useradm/settings/tokens/{id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        using (var ended = a.Anonymous())
        {
            ended.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", session);
            (await ended.PostAsync("/api/management/v1/useradm/auth/logout", null)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        }

        clock.Restart();
        foreach (var refused in new[] { token, session })
        {
            while (await MeStatusAsync(b, refused) != HttpStatusCode.Unauthorized)
            {
                clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(1), "the revocation reached the other replica too late");
                await Task.Delay(20);
            }
        }

        (await MeStatusAsync(a, token)).ShouldBe(HttpStatusCode.Unauthorized, "refused at once where it was revoked");
        (await MeStatusAsync(a, session)).ShouldBe(HttpStatusCode.Unauthorized);
    }

    private static async Task<HttpStatusCode> MeStatusAsync(TestServer replica, string token)
    {
        using var client = replica.Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.GetAsync("/api/management/v1/useradm/users/me");
        return response.StatusCode;
    }

    [ClusterFact]
    public async Task One_replica_leads_and_another_takes_over_when_it_stops()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var (leading, following) = await RolesAsync(cluster);
        (await MetricsAsync(following)).ShouldContain("\ngitfleet_leader 0");
        using (var client = following.Anonymous())
        {
            var ready = await client.GetFromJsonAsync<JsonElement>("/health/ready");
            ready.GetProperty("status").GetString().ShouldBe("ready");
            ready.GetProperty("role").GetString().ShouldBe("follower");
            (await client.GetFromJsonAsync<JsonElement>("/health/live")).GetProperty("status").GetString().ShouldBe("live");
        }

        var clock = Stopwatch.StartNew();
        await leading.Server.StopAsync();
        while (await LeaderAsync([following]) is null)
        {
            clock.Elapsed.ShouldBeLessThan(TestCluster.LeaseDuration * 3, "the follower did not take over");
            await Task.Delay(50);
        }
    }

    [ClusterFact]
    public async Task A_control_the_leader_refuses_leaves_it_following_the_feed()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var (leading, following) = await RolesAsync(cluster);

        // What a follower publishes for an operator's pause, for a branch the leader does not reconcile (a follower
        // checks first, so this is the race where the state moved between its check and the leader's).
        await using (var connection = new Npgsql.NpgsqlConnection(cluster.Postgres.ConnectionString(cluster.Database)))
        {
            await connection.OpenAsync();
            await using var publish = new Npgsql.NpgsqlCommand("SELECT gitfleet_change('control', 'no-such-branch/Pause')", connection);
            await publish.ExecuteNonQueryAsync();
        }

        // The leader refuses it and goes on following the feed: a rejection through the follower reaches it.
        using var device = await following.AcceptedDeviceAsync();
        (await NextStatusAsync(leading, device.Token!)).ShouldBe(HttpStatusCode.NoContent);
        using var admin = await following.AdminAsync();
        var (deviceId, authSetId) = await TestServer.FindDeviceAsync(admin, device);
        using (var reject = await admin.PutAsJsonAsync($"/api/management/v2/devauth/devices/{deviceId}/auth/{authSetId}/status", new { status = "rejected" }))
        {
            reject.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        }

        var clock = Stopwatch.StartNew();
        while (await NextStatusAsync(leading, device.Token!) != HttpStatusCode.Unauthorized)
        {
            clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10), "the leader stopped following the change feed after refusing a control");
            await Task.Delay(50);
        }
    }

    [ClusterFact]
    public async Task An_artifact_uploaded_through_one_replica_downloads_through_another_at_once()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        using var work = new TempDirectory("gitfleet-cluster-artifacts");
        using var adminA = await cluster.Replicas[0].AdminAsync();
        var path = await MenderArtifactTool.WriteSingleFileAsync(work.Path, "shared-1", "raspberrypi4");
        using var created = await TestServer.UploadAsync(adminA, path);
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var id = created.Headers.Location!.ToString().Split('/')[^1];

        using var adminB = await cluster.Replicas[1].AdminAsync();
        var link = await adminB.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/artifacts/{id}/download");
        using var anonymous = cluster.Replicas[1].Anonymous();
        (await anonymous.GetByteArrayAsync(link.GetProperty("uri").GetString())).ShouldBe(await File.ReadAllBytesAsync(path));
    }

    [ClusterFact]
    public async Task While_PostgreSQL_restarts_replicas_are_not_ready_answer_devices_503_and_recover_on_their_own()
    {
        await using var postgres = await Gitfleet.TestSupport.Postgres.PostgresServer.StartAsync();
        await using var cluster = await TestCluster.StartAsync(1, postgres);
        var replica = cluster.Replicas[0];
        using var device = await replica.AcceptedDeviceAsync();
        using var client = replica.Anonymous();

        await postgres.StopAsync();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using var ready = await client.GetAsync("/health/ready");
            if (ready.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                (await ready.Content.ReadAsStringAsync()).ShouldContain("unreachable");
                break;
            }

            clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10), "the replica still says it is ready");
            await Task.Delay(100);
        }

        using (var refused = await device.SendAsync(HttpMethod.Patch, "/api/devices/v1/inventory/device/attributes", new[] { new { name = "ip", value = "10.0.0.9" } }))
        {
            refused.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            refused.Headers.RetryAfter.ShouldNotBeNull();
            (await refused.Content.ReadAsStringAsync()).ShouldContain("retry");
        }

        await postgres.StartAgainAsync();
        clock.Restart();
        while ((await client.GetAsync("/health/ready")).StatusCode != HttpStatusCode.OK)
        {
            clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(20), "the replica did not reconnect on its own");
            await Task.Delay(100);
        }

        using (var retried = await device.SendAsync(HttpMethod.Patch, "/api/devices/v1/inventory/device/attributes", new[] { new { name = "ip", value = "10.0.0.9" } }))
        {
            retried.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        using var admin = await replica.AdminAsync();
        var inventory = await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/inventory/devices/{device.Id}");
        inventory.GetRawText().ShouldContain("10.0.0.9");
    }
}
