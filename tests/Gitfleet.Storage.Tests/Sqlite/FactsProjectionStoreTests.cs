using Gitfleet.Core.Facts;

namespace Gitfleet.Storage.Tests.Sqlite;

public sealed class FactsProjectionStoreTestsOnSqlite() : FactsProjectionStoreTests(StoreEngine.Sqlite);

public sealed class FactsProjectionStoreTestsOnPostgres() : FactsProjectionStoreTests(StoreEngine.Postgres);

/// <summary>The store's facts read with a projection (the git watcher's plans): only what the plan reads, the same values.</summary>
public abstract class FactsProjectionStoreTests(StoreEngine engine) : IAsyncLifetime
{
    private readonly StoreFixture fixture = new(engine);
    private static readonly CancellationToken None = CancellationToken.None;

    public Task InitializeAsync() => fixture.InitializeAsync();

    public Task DisposeAsync() => fixture.DisposeAsync();

    [Fact]
    public async Task A_projection_keeps_its_attributes_every_tag_and_provided_values_and_leaves_out_the_rest()
    {
        var store = fixture.Store;
        var reporting = await fixture.AcceptedDeviceAsync("m1");
        var silent = await fixture.AcceptedDeviceAsync("m2");
        await store.SaveInventoryAsync(reporting.Id, [Attribute("site", "lyon"), Attribute("uptime_seconds", "12"), Attribute("rootfs-image.version", "img-1")], replace: false, StoreFixture.Now, None);
        await store.SaveTagsAsync(reporting.Id, [Attribute("ring", "canary"), Attribute("owner", "ops")], replace: true, StoreFixture.Now, None);
        await store.SaveProvidedAsync([new(reporting.Id, "rootfs-image.version", "img-0"), new(silent.Id, "rootfs-image.version", "img-2")], StoreFixture.Now, None);
        await store.SetReportedAsync(reporting.Id, new Dictionary<string, string> { ["ntp"] = "pool" }, StoreFixture.Now, None);
        await store.SetConfiguredAsync(reporting.Id, new Dictionary<string, string> { ["ntp"] = "pool" }, StoreFixture.Now, None);

        var projection = new FactsProjection
        {
            Attributes = new HashSet<string>(StringComparer.Ordinal) { "site", "rootfs-image.version" },
            Identity = new HashSet<string>(StringComparer.Ordinal),
            ConfiguredConfiguration = false,
        };
        var projected = await ReadAsync(projection);
        var all = await ReadAsync(FactsProjection.All);

        var device = projected[reporting.Id];
        device.Attributes.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}").ShouldBe(
            ["rootfs-image.version=img-1", "site=lyon"], "what the device reports wins over what its check-ins provide");
        device.Tags.Count.ShouldBe(2);
        device.Identity.ShouldBeEmpty();
        device.ReportedConfiguration!["ntp"].ShouldBe("pool");
        device.ConfiguredConfiguration.ShouldBeNull();
        projected[silent.Id].Attributes["rootfs-image.version"].ShouldBe("img-2");
        projected[silent.Id].InstalledImage.ShouldBe(all[silent.Id].InstalledImage);

        all[reporting.Id].Attributes.Keys.ShouldContain("uptime_seconds");
        all[reporting.Id].Identity["mac"].ShouldBe("m1");
        all[reporting.Id].ConfiguredConfiguration!["ntp"].ShouldBe("pool");
        projected.Keys.ShouldBe(all.Keys, ignoreOrder: false);

        var identities = await ReadAsync(projection with { Identity = new HashSet<string>(StringComparer.Ordinal) { "mac" }, Attributes = null });
        identities[reporting.Id].Identity["mac"].ShouldBe("m1");
        identities[reporting.Id].Attributes.Keys.ShouldContain("uptime_seconds", "no attribute list keeps every attribute");
    }

    [Fact]
    public async Task Each_device_gets_its_own_attributes_and_devices_with_equal_ones_share_one_map()
    {
        // The reader gathers a device's rows in lists it reuses for the next device: what one device holds must not
        // leak into the next, nor change when a later device's rows are read.
        var store = fixture.Store;
        var first = await fixture.AcceptedDeviceAsync("m1");
        var twin = await fixture.AcceptedDeviceAsync("m2");
        var other = await fixture.AcceptedDeviceAsync("m3");
        var bare = await fixture.AcceptedDeviceAsync("m4");
        foreach (var device in new[] { first, twin })
        {
            await store.SaveInventoryAsync(device.Id, [Attribute("site", "lyon"), Attribute("zone", "a")], replace: false, StoreFixture.Now, None);
            await store.SaveTagsAsync(device.Id, [Attribute("ring", "canary")], replace: true, StoreFixture.Now, None);
        }

        await store.SaveInventoryAsync(other.Id, [Attribute("site", "oslo")], replace: false, StoreFixture.Now, None);
        await store.SaveProvidedAsync([new(bare.Id, "rootfs-image.version", "img-2")], StoreFixture.Now, None);

        var facts = await ReadAsync(new FactsProjection
        {
            Attributes = new HashSet<string>(StringComparer.Ordinal) { "site", "zone", "rootfs-image.version" },
            Identity = new HashSet<string>(StringComparer.Ordinal) { "mac" },
            ConfiguredConfiguration = false,
        });

        string Text(IReadOnlyDictionary<string, string> map) => string.Join(",", map.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));
        Text(facts[first.Id].Attributes).ShouldBe("site=lyon,zone=a");
        Text(facts[twin.Id].Attributes).ShouldBe("site=lyon,zone=a");
        facts[twin.Id].Attributes.ShouldBeSameAs(facts[first.Id].Attributes, "equal inventories are one map");
        facts[twin.Id].Tags.ShouldBeSameAs(facts[first.Id].Tags);
        Text(facts[first.Id].Tags).ShouldBe("ring=canary");
        Text(facts[other.Id].Attributes).ShouldBe("site=oslo");
        facts[other.Id].Tags.ShouldBeEmpty();
        Text(facts[bare.Id].Attributes).ShouldBe("rootfs-image.version=img-2");
        facts[bare.Id].Tags.ShouldBeEmpty();
        Text(facts[first.Id].Identity).ShouldBe("mac=m1");
        Text(facts[twin.Id].Identity).ShouldBe("mac=m2");
        Text(facts[bare.Id].Identity).ShouldBe("mac=m4");
    }

    private static KeyValuePair<string, IReadOnlyList<string>> Attribute(string name, string value) => new(name, [value]);

    private async Task<Dictionary<string, DeviceFacts>> ReadAsync(FactsProjection projection)
    {
        var result = new Dictionary<string, DeviceFacts>(StringComparer.Ordinal);
        await foreach (var page in fixture.Store.StreamFactsAsync(null, projection, None))
        {
            foreach (var facts in page)
            {
                result.Add(facts.Id, facts);
            }
        }

        return result;
    }
}
