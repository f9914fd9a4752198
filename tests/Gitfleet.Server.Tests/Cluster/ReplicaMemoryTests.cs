using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gitfleet.Server.Tests.Support;

namespace Gitfleet.Server.Tests.Cluster;

/// <summary>
/// What a replica answers from memory on a shared PostgreSQL store (an unchanged inventory PUT, a known device's auth
/// request) is never staler than the store: a change committed through another replica before the request counts.
/// </summary>
public sealed class ReplicaMemoryTests
{
    private const string InventoryPath = "/api/devices/v1/inventory/device/attributes";

    private static object[] Inventory(string ip) =>
        [new { name = "device_type", value = "raspberrypi4" }, new { name = "artifact_name", value = "release-1" }, new { name = "ip", value = ip }];

    private static async Task PutInventoryAsync(SimulatedDevice device, HttpClient through, string ip)
    {
        using var put = await device.SendAsync(through, HttpMethod.Put, InventoryPath, Inventory(ip));
        put.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    private static async Task<string?> StoredIpAsync(TestServer replica, string deviceId)
    {
        using var admin = await replica.AdminAsync();
        var inventory = await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/inventory/devices/{deviceId}");
        return inventory.GetProperty("attributes").EnumerateArray().SingleOrDefault(a => a.GetProperty("name").GetString() == "ip") is { ValueKind: JsonValueKind.Object } ip
            ? ip.GetProperty("value").GetString()
            : null;
    }

    private static async Task<HttpStatusCode> AuthStatusAsync(SimulatedDevice device, HttpClient through)
    {
        using var response = await device.RequestAuthAsync(through);
        return response.StatusCode;
    }

    private static async Task SetAuthSetStatusAsync(TestServer replica, string deviceId, string authSetId, string status)
    {
        using var admin = await replica.AdminAsync();
        using var response = await admin.PutAsJsonAsync($"/api/management/v2/devauth/devices/{deviceId}/auth/{authSetId}/status", new { status });
        response.StatusCode.ShouldBe(HttpStatusCode.NoContent);
    }

    [ClusterFact]
    public async Task An_inventory_stored_through_another_replica_is_not_masked_by_the_digest_a_replica_holds()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var (a, b) = (cluster.Replicas[0], cluster.Replicas[1]);
        using var device = await a.AcceptedDeviceAsync();
        using var viaB = b.Anonymous();

        // B stores the old inventory and holds its digest; a PUT of it again is answered from memory.
        await PutInventoryAsync(device, viaB, "10.0.0.1");
        await PutInventoryAsync(device, viaB, "10.0.0.1");
        (await StoredIpAsync(a, device.Id!)).ShouldBe("10.0.0.1");

        // A stores a newer one; at once, the old one through B again is a change, and stored.
        await PutInventoryAsync(device, device.Http, "10.0.0.2");
        await PutInventoryAsync(device, viaB, "10.0.0.1");
        (await StoredIpAsync(a, device.Id!)).ShouldBe("10.0.0.1", "B skipped a PUT by a digest another replica's write made stale");

        // And the other way round, many times over: whichever replica answers, the store ends with the last PUT.
        for (var i = 0; i < 20; i++)
        {
            await PutInventoryAsync(device, i % 2 == 0 ? device.Http : viaB, $"10.0.1.{i % 3}");
            (await StoredIpAsync(i % 2 == 0 ? b : a, device.Id!)).ShouldBe($"10.0.1.{i % 3}", $"PUT {i}");
        }
    }

    [ClusterFact]
    public async Task A_device_rejected_through_one_replica_is_refused_its_next_auth_request_by_the_others_at_once()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var (a, b) = (cluster.Replicas[0], cluster.Replicas[1]);
        using var device = await a.AcceptedDeviceAsync();
        var c = await cluster.AddReplicaAsync();   // loads the accepted key at start; B learns it from its first read
        using var viaB = b.Anonymous();
        using var viaC = c.Anonymous();
        foreach (var through in new[] { viaB, viaB, viaC, viaC })
        {
            (await AuthStatusAsync(device, through)).ShouldBe(HttpStatusCode.OK);
        }

        using var admin = await a.AdminAsync();
        var (deviceId, authSetId) = await TestServer.FindDeviceAsync(admin, device);
        await SetAuthSetStatusAsync(a, deviceId, authSetId, "rejected");
        (await AuthStatusAsync(device, viaB)).ShouldBe(HttpStatusCode.Unauthorized, "B answered a rejected device from memory");
        (await AuthStatusAsync(device, viaC)).ShouldBe(HttpStatusCode.Unauthorized, "C answered a rejected device from memory");

        // Accepted again through A: accepted at once through the others (their first read finds it).
        await SetAuthSetStatusAsync(a, deviceId, authSetId, "accepted");
        (await AuthStatusAsync(device, viaB)).ShouldBe(HttpStatusCode.OK);
        (await AuthStatusAsync(device, viaC)).ShouldBe(HttpStatusCode.OK);
    }

    [ClusterFact]
    public async Task A_new_key_accepted_through_one_replica_makes_the_others_refuse_the_old_key_at_once()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var (a, b) = (cluster.Replicas[0], cluster.Replicas[1]);
        using var device = await a.AcceptedDeviceAsync();
        using var viaB = b.Anonymous();
        (await AuthStatusAsync(device, viaB)).ShouldBe(HttpStatusCode.OK);
        (await AuthStatusAsync(device, viaB)).ShouldBe(HttpStatusCode.OK);

        // The same identity with a new key (a device whose key was replaced): a second auth set, pending.
        using var renewed = new SimulatedDevice(a.Anonymous(), mac: device.Mac);
        (await AuthStatusAsync(renewed, renewed.Http)).ShouldBe(HttpStatusCode.Unauthorized);
        using var admin = await a.AdminAsync();
        var listed = await admin.GetFromJsonAsync<JsonElement>($"/api/management/v2/devauth/devices/{device.Id}");
        var newSet = listed.GetProperty("auth_sets").EnumerateArray()
            .Single(s => s.GetProperty("pubkey").GetString()!.Trim() == renewed.PublicKeyPem.Trim()).GetProperty("id").GetString()!;

        // Accepting it rejects the old key; the device stays accepted (its status does not change).
        await SetAuthSetStatusAsync(a, device.Id!, newSet, "accepted");
        (await AuthStatusAsync(device, viaB)).ShouldBe(HttpStatusCode.Unauthorized, "B accepted a key rejected through A");
        (await AuthStatusAsync(renewed, viaB)).ShouldBe(HttpStatusCode.OK);
    }
}
