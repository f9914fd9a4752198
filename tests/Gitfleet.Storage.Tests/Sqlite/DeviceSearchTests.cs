using Gitfleet.Storage.Model;

namespace Gitfleet.Storage.Tests.Sqlite;

/// <summary>The dashboard's device search: keyset pages both ways, through both plans (sorted matches, walked ids).</summary>
public sealed class DeviceSearchTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly StoreFixture fixture = new();
    private List<string> ids = [];

    public async Task InitializeAsync()
    {
        await fixture.InitializeAsync();
        var devices = new List<DeviceRecord>();
        for (var i = 0; i < 8; i++)
        {
            devices.Add(await fixture.AcceptedDeviceAsync($"02:00:00:00:00:{i:x2}", deviceType: i % 4 == 3 ? "pi3" : "pi4"));
        }

        ids = devices.Select(d => d.Id).Order(StringComparer.Ordinal).ToList();
        await fixture.Store.SyncBranchMembersAsync("production", ids.Take(7).ToHashSet(), None);
    }

    public Task DisposeAsync() => fixture.DisposeAsync();

    [Theory]
    [InlineData(10_000)] // few matches: joined and sorted
    [InlineData(2)] // "many" matches: devices walked in id order, each filter probed
    public async Task Pages_follow_the_last_id_forwards_and_the_first_id_backwards(int countUpTo)
    {
        var search = new DeviceSearch { Branch = "production", Status = "accepted", PerPage = 3, CountUpTo = countUpTo };
        var members = ids.Take(7).ToList();

        var first = await fixture.Store.SearchDevicesAsync(search, None);
        first.Devices.Select(d => d.Id).ShouldBe(members[..3]);
        (first.HasPrevious, first.HasNext).ShouldBe((false, true));
        first.TotalIsLowerBound.ShouldBe(countUpTo < 7);
        first.Total.ShouldBe(countUpTo < 7 ? countUpTo + 1 : 7);

        var second = await fixture.Store.SearchDevicesAsync(search with { After = first.Devices[^1].Id }, None);
        second.Devices.Select(d => d.Id).ShouldBe(members[3..6]);
        (second.HasPrevious, second.HasNext).ShouldBe((true, true));

        var last = await fixture.Store.SearchDevicesAsync(search with { After = second.Devices[^1].Id }, None);
        last.Devices.Select(d => d.Id).ShouldBe(members[6..], "the eighth device is in no branch");
        (last.HasPrevious, last.HasNext).ShouldBe((true, false));

        var back = await fixture.Store.SearchDevicesAsync(search with { Before = last.Devices[0].Id }, None);
        back.Devices.Select(d => d.Id).ShouldBe(members[3..6], "a page backwards is in id order too");
        (back.HasPrevious, back.HasNext).ShouldBe((true, true));

        var backToFirst = await fixture.Store.SearchDevicesAsync(search with { Before = back.Devices[0].Id }, None);
        backToFirst.Devices.Select(d => d.Id).ShouldBe(members[..3]);
        (backToFirst.HasPrevious, backToFirst.HasNext).ShouldBe((false, true));
    }

    [Fact]
    public async Task A_filter_pages_only_its_matches_and_a_mac_finds_its_device()
    {
        var pi3 = await fixture.Store.SearchDevicesAsync(new DeviceSearch { DeviceType = "pi3", PerPage = 1 }, None);
        pi3.Total.ShouldBe(2);
        var next = await fixture.Store.SearchDevicesAsync(new DeviceSearch { DeviceType = "pi3", PerPage = 1, After = pi3.Devices[0].Id }, None);
        next.Devices.ShouldHaveSingleItem().Id.ShouldNotBe(pi3.Devices[0].Id);
        next.HasNext.ShouldBeFalse();

        var byMac = await fixture.Store.SearchDevicesAsync(new DeviceSearch { Text = "02:00:00:00:00:05" }, None);
        byMac.Devices.ShouldHaveSingleItem().Identity["mac"].ShouldBe("02:00:00:00:00:05");
        var byPrefix = await fixture.Store.SearchDevicesAsync(new DeviceSearch { Text = ids[4][..8] }, None);
        byPrefix.Devices.Select(d => d.Id).ShouldContain(ids[4]);
    }
}
