using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gitfleet.Server.Tests.Support;

namespace Gitfleet.Server.Tests.Inventory;

[Trait(PostgresSubset.Trait, PostgresSubset.Value)]
public sealed class InventoryTests(TestServer server) : IClassFixture<TestServer>
{
    [Fact]
    public async Task Device_attributes_tags_and_groups_appear_with_their_scopes()
    {
        using var admin = await server.AdminAsync();
        using var device = await server.AcceptedDeviceAsync(inventory: new Dictionary<string, string> { ["rootfs-image.version"] = "image-7" });
        using (var patch = await device.SendAsync(HttpMethod.Patch, "/api/devices/v1/inventory/device/attributes",
            new object[] { new { name = "ipv4", value = "10.0.0.1" }, new { name = "ipv4", value = "10.0.0.2" } }))
        {
            patch.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        (await admin.PutAsJsonAsync($"/api/management/v1/inventory/devices/{device.Id}/tags", new[] { new { name = "subscribed_branch", value = "canary" } })).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await admin.PutAsJsonAsync($"/api/management/v1/inventory/devices/{device.Id}/group", new { group = "kiosks" })).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        var inventory = await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/inventory/devices/{device.Id}");
        var attributes = inventory.GetProperty("attributes").EnumerateArray().ToDictionary(a => a.GetProperty("scope").GetString() + "/" + a.GetProperty("name").GetString(), a => a.GetProperty("value"));
        attributes["inventory/device_type"].GetString().ShouldBe("raspberrypi4");
        attributes["inventory/rootfs-image.version"].GetString().ShouldBe("image-7");
        attributes["inventory/ipv4"].EnumerateArray().Select(v => v.GetString()).ShouldBe(["10.0.0.1", "10.0.0.2"]);
        attributes["identity/mac"].GetString().ShouldBe(device.Mac);
        attributes["identity/status"].GetString().ShouldBe("accepted");
        attributes["tags/subscribed_branch"].GetString().ShouldBe("canary");
        attributes["system/group"].GetString().ShouldBe("kiosks");

        (await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/inventory/devices/{device.Id}/group")).GetProperty("group").GetString().ShouldBe("kiosks");
        (await admin.GetFromJsonAsync<string[]>("/api/management/v1/inventory/groups"))!.ShouldContain("kiosks");
        (await admin.GetFromJsonAsync<string[]>("/api/management/v1/inventory/groups/kiosks/devices"))!.ShouldContain(device.Id!);

        using var search = await admin.PostAsJsonAsync("/api/management/v2/inventory/filters/search",
            new { page = 1, per_page = 10, filters = new[] { new { scope = "tags", attribute = "subscribed_branch", type = "$eq", value = "canary" } } });
        search.Headers.GetValues("X-Total-Count").Single().ShouldBe("1");
        (await search.Content.ReadFromJsonAsync<JsonElement>())[0].GetProperty("id").GetString().ShouldBe(device.Id);

        (await admin.DeleteAsync($"/api/management/v1/inventory/devices/{device.Id}/group/kiosks")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/inventory/devices/{device.Id}/group")).TryGetProperty("group", out _).ShouldBeFalse();
    }

    [Fact]
    public async Task Inventory_PUT_replaces_and_PATCH_merges()
    {
        using var admin = await server.AdminAsync();
        using var device = await server.AcceptedDeviceAsync(inventory: new Dictionary<string, string> { ["kernel"] = "6.1" });
        (await device.SendAsync(HttpMethod.Put, "/api/devices/v1/inventory/device/attributes", new[] { new { name = "device_type", value = "raspberrypi4" } })).StatusCode.ShouldBe(HttpStatusCode.OK);
        var inventory = await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/inventory/devices/{device.Id}");
        inventory.GetProperty("attributes").EnumerateArray().ShouldNotContain(a => a.GetProperty("name").GetString() == "kernel");
    }

    [Fact]
    public async Task Listing_is_paginated_with_total_count_and_links()
    {
        using var admin = await server.AdminAsync();
        using var a = await server.AcceptedDeviceAsync();
        using var b = await server.AcceptedDeviceAsync();
        using var response = await admin.GetAsync("/api/management/v1/inventory/devices?page=1&per_page=1");
        int.Parse(response.Headers.GetValues("X-Total-Count").Single(), System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThanOrEqualTo(2);
        response.Headers.GetValues("Link").Single().ShouldContain("page=2&per_page=1>; rel=\"next\"");
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetArrayLength().ShouldBe(1);
    }
}
