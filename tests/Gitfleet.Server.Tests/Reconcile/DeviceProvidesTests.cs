using System.Net.Http.Json;
using System.Text.Json;
using Gitfleet.Core.Facts;
using Gitfleet.Server.Devices;
using Gitfleet.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Gitfleet.Server.Tests.Reconcile;

/// <summary>mender-client 3.4 without Gitfleet's device package sends rootfs-image.version only in device_provides.</summary>
public sealed class DeviceProvidesTests
{
    [Fact]
    public async Task The_image_a_check_in_provides_becomes_the_inventory_attribute_unless_the_device_reports_one()
    {
        await using var fleet = await ReconcileHarness.StartAsync();
        using var device = await fleet.DeviceAsync(image: "image-7", reportsImage: false);
        (await Facts(fleet, device.Id)).InstalledImage.ShouldBe("image-7", "without provides the artifact name is all there is");
        (await device.CheckInAsync()).ShouldBeNull();
        await fleet.Server.Server.Services.GetRequiredService<CheckInFlusher>().FlushAsync(CancellationToken.None);

        var facts = await Facts(fleet, device.Id);
        facts.Attributes["rootfs-image.version"].ShouldBe("image-7");
        var inventory = await fleet.Admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/inventory/devices/{device.Id}");
        var attribute = inventory.GetProperty("attributes").EnumerateArray().Single(a => a.GetProperty("name").GetString() == "rootfs-image.version");
        attribute.GetProperty("scope").GetString().ShouldBe("inventory");
        attribute.GetProperty("value").GetString().ShouldBe("image-7");
        var search = await fleet.Admin.PostAsJsonAsync("/api/management/v2/inventory/filters/search", new
        {
            filters = new[] { new { scope = "inventory", attribute = "rootfs-image.version", type = "$eq", value = "image-7" } },
        });
        (await search.Content.ReadFromJsonAsync<JsonElement>()).GetArrayLength().ShouldBe(1);

        // The device reports its own value: that one wins.
        using (var put = await device.Simulated.SendAsync(HttpMethod.Put, "/api/devices/v1/inventory/device/attributes", new[]
        {
            new { name = "device_type", value = "raspberrypi4" },
            new { name = "rootfs-image.version", value = "image-8" },
        }))
        {
            put.StatusCode.ShouldBe(System.Net.HttpStatusCode.OK, "mender-client logs an error on 204");
        }

        (await Facts(fleet, device.Id)).Attributes["rootfs-image.version"].ShouldBe("image-8");
        inventory = await fleet.Admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/inventory/devices/{device.Id}");
        inventory.GetProperty("attributes").EnumerateArray().Count(a => a.GetProperty("name").GetString() == "rootfs-image.version").ShouldBe(1);
    }

    [Fact]
    public void Only_changes_are_queued_for_writing()
    {
        var provides = new DeviceProvides();
        var id = Guid.NewGuid();
        provides.Load(id.ToString(), "image-1");
        provides.Observe(id, "image-1"u8);
        provides.Drain(100).ShouldBeEmpty("the stored value did not change");
        provides.Observe(id, "image-2"u8);
        provides.Observe(id, "image-2"u8);
        provides.Observe(id, "image-3"u8);
        var changed = provides.Drain(100).ShouldHaveSingleItem();
        changed.Value.ShouldBe("image-3");
        changed.DeviceId.ShouldBe(id.ToString());
    }

    [Fact]
    public void Devices_with_the_same_value_share_it_and_each_keeps_its_own()
    {
        var provides = new DeviceProvides();
        var (a, b, c) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        provides.Load(a.ToString(), new string("image-1".AsSpan()));
        provides.Load(b.ToString(), new string("image-1".AsSpan()));
        provides.Observe(c, "image-1"u8);
        ReferenceEquals(provides.RootfsVersion(a.ToString()), provides.RootfsVersion(b.ToString())).ShouldBeTrue("loaded values are shared");
        ReferenceEquals(provides.RootfsVersion(a.ToString()), provides.RootfsVersion(c.ToString())).ShouldBeTrue("observed values are shared too");
        provides.Drain(100).ShouldHaveSingleItem().DeviceId.ShouldBe(c.ToString(), "a device seen the first time is written");
        provides.Observe(b, "image-2"u8);
        provides.RootfsVersion(a.ToString()).ShouldBe("image-1", "a shared value changes for its device only");
        provides.RootfsVersion(b.ToString()).ShouldBe("image-2");
        provides.Drain(100).ShouldHaveSingleItem().DeviceId.ShouldBe(b.ToString());
    }

    [Fact]
    public void Values_past_the_shared_limit_are_still_kept_and_compared()
    {
        var provides = new DeviceProvides();
        var ids = Enumerable.Range(0, DeviceProvides.MaxShared + 10).Select(_ => Guid.NewGuid()).ToList();
        foreach (var (id, i) in ids.Select((id, i) => (id, i)))
        {
            provides.Observe(id, System.Text.Encoding.UTF8.GetBytes($"own-{i}"));
        }

        provides.Drain(int.MaxValue).Count.ShouldBe(ids.Count);
        provides.Observe(ids[^1], System.Text.Encoding.UTF8.GetBytes($"own-{ids.Count - 1}"));
        provides.Drain(100).ShouldBeEmpty("an unshared value is compared like a shared one");
        provides.RootfsVersion(ids[^1].ToString()).ShouldBe($"own-{ids.Count - 1}");
    }

    private static async Task<DeviceFacts> Facts(ReconcileHarness fleet, string id) =>
        FactsDocument.Parse(await fleet.Admin.GetByteArrayAsync("/api/management/v1/gitfleet/facts")).Devices.Single(d => d.Id == id);
}
