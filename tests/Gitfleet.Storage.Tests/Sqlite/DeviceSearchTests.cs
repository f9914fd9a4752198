using Gitfleet.Core.Rollouts;
using Gitfleet.Storage.Model;

namespace Gitfleet.Storage.Tests.Sqlite;

public sealed class DeviceSearchTestsOnSqlite() : DeviceSearchTests(StoreEngine.Sqlite);

public sealed class DeviceSearchTestsOnPostgres() : DeviceSearchTests(StoreEngine.Postgres);

/// <summary>
/// The dashboard's device search: keyset pages both ways through every filter (each walks its own index in id
/// order), compared with the matches worked out here from the devices the test made.
/// </summary>
public abstract class DeviceSearchTests(StoreEngine engine) : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly StoreFixture fixture = new(engine);

    /// <summary>The test's devices in id order, with what each was given.</summary>
    private List<Made> made = [];

    private sealed record Made(string Id, string Mac, string Status, string Type, string? Group, string? Site, string? Branch, RolloutDeviceState? State, string? Reason);

    public async Task InitializeAsync()
    {
        await fixture.InitializeAsync();
        var store = fixture.Store;
        var list = new List<Made>();
        for (var i = 0; i < 12; i++)
        {
            var mac = $"02:00:00:00:00:{i:x2}";
            var type = i % 4 == 3 ? "pi3" : "pi4";
            string id, status;
            if (i == 11)
            {
                // Not admitted: pending, no inventory.
                var outcome = await store.RecordAuthRequestAsync(Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), new Dictionary<string, string> { ["mac"] = mac }, "key-" + mac, StoreFixture.Now, None);
                (id, status, type) = (outcome.Device.Id, "pending", "");
            }
            else
            {
                id = (await fixture.AcceptedDeviceAsync(mac, type)).Id;
                status = "accepted";
            }

            var group = i % 3 == 0 ? "kiosks" : null;
            if (group is not null)
            {
                await store.SetGroupAsync(id, group, StoreFixture.Now, None);
            }

            var site = i % 2 == 0 ? "site-07" : "site-08";
            await store.SaveTagsAsync(id, [new("site", [site])], replace: true, StoreFixture.Now, None);
            var branch = i < 9 ? "production" : i < 11 ? "canary" : null;
            RolloutDeviceState? state = branch is null ? null : (i % 3) switch { 0 => RolloutDeviceState.Failed, 1 => RolloutDeviceState.Scheduled, _ => RolloutDeviceState.Waiting };
            var reason = state == RolloutDeviceState.Failed ? (i % 2 == 0 ? "health check failed" : "download 50% done, then 404") : null;
            list.Add(new Made(id, mac, status, type, group, site, branch, state, reason));
        }

        made = list.OrderBy(m => m.Id, StringComparer.Ordinal).ToList();
        foreach (var branch in new[] { "production", "canary" })
        {
            var members = made.Where(m => m.Branch == branch).ToList();
            await store.SyncBranchMembersAsync(branch, members.Select(m => m.Id).ToHashSet(), None);
            await store.CommitRolloutAsync(new RolloutCommit
            {
                Branch = branch,
                Generation = 1,
                Progress = RolloutProgress.Start,
                ReplaceDevices = true,
                Devices = members.Select(m => new RolloutDeviceRecord(m.Id, m.State!.Value, 1, [], m.Reason, StoreFixture.Now)).ToList(),
                Now = StoreFixture.Now,
            }, None);
        }
    }

    public Task DisposeAsync() => fixture.DisposeAsync();

    private List<string> Ids(Func<Made, bool> match) => made.Where(match).Select(m => m.Id).ToList();

    [Theory]
    [InlineData(10_000)] // few matches: counted exactly
    [InlineData(2)] // "many" matches: counting stops, the pages are the same
    public async Task Pages_follow_the_last_id_forwards_and_the_first_id_backwards(int countUpTo)
    {
        var search = new DeviceSearch { Branch = "production", Status = "accepted", PerPage = 3, CountUpTo = countUpTo };
        var members = Ids(m => m.Branch == "production");
        members.Count.ShouldBe(9);

        var first = await fixture.Store.SearchDevicesAsync(search, None);
        first.Devices.Select(d => d.Id).ShouldBe(members[..3]);
        (first.HasPrevious, first.HasNext).ShouldBe((false, true));
        first.TotalIsLowerBound.ShouldBe(countUpTo < 9);
        first.Total.ShouldBe(countUpTo < 9 ? countUpTo + 1 : 9);

        var second = await fixture.Store.SearchDevicesAsync(search with { After = first.Devices[^1].Id }, None);
        second.Devices.Select(d => d.Id).ShouldBe(members[3..6]);
        (second.HasPrevious, second.HasNext).ShouldBe((true, true));

        var last = await fixture.Store.SearchDevicesAsync(search with { After = second.Devices[^1].Id }, None);
        last.Devices.Select(d => d.Id).ShouldBe(members[6..]);
        (last.HasPrevious, last.HasNext).ShouldBe((true, false), "production has nine devices: three full pages and no fourth");

        var back = await fixture.Store.SearchDevicesAsync(search with { Before = last.Devices[0].Id }, None);
        back.Devices.Select(d => d.Id).ShouldBe(members[3..6], "a page backwards is in id order too");
        (back.HasPrevious, back.HasNext).ShouldBe((true, true));

        var backToFirst = await fixture.Store.SearchDevicesAsync(search with { Before = back.Devices[0].Id }, None);
        backToFirst.Devices.Select(d => d.Id).ShouldBe(members[..3]);
        (backToFirst.HasPrevious, backToFirst.HasNext).ShouldBe((false, true));
    }

    private static readonly Dictionary<string, (DeviceSearch Search, Func<Made, bool> Match)> Cases = new()
    {
        ["everything"] = (new DeviceSearch(), _ => true),
        ["status:accepted"] = (new DeviceSearch { Status = "accepted" }, m => m.Status == "accepted"),
        ["status:pending"] = (new DeviceSearch { Status = "pending" }, m => m.Status == "pending"),
        ["type:pi4"] = (new DeviceSearch { DeviceType = "pi4" }, m => m.Type == "pi4"),
        ["group:kiosks"] = (new DeviceSearch { Group = "kiosks" }, m => m.Group == "kiosks"),
        ["branch:production"] = (new DeviceSearch { Branch = "production" }, m => m.Branch == "production"),
        ["branch:canary"] = (new DeviceSearch { Branch = "canary" }, m => m.Branch == "canary"),
        ["rollout:scheduled"] = (new DeviceSearch { RolloutState = "scheduled" }, m => m.State == RolloutDeviceState.Scheduled),
        ["branch:production rollout:failed"] = (new DeviceSearch { Branch = "production", RolloutState = "failed" }, m => m.Branch == "production" && m.State == RolloutDeviceState.Failed),
        ["reason:health"] = (new DeviceSearch { Reason = "health" }, m => m.Reason?.Contains("health", StringComparison.Ordinal) == true),
        ["reason:50%"] = (new DeviceSearch { Reason = "50%" }, m => m.Reason?.Contains("50%", StringComparison.Ordinal) == true),
        ["tag:site=site-07"] = (new DeviceSearch { Attributes = [(AttributeScope.Tags, "site", "site-07")] }, m => m.Site == "site-07"),
        ["device_type=pi3 (inventory)"] = (new DeviceSearch { Attributes = [(AttributeScope.Inventory, "device_type", "pi3")] }, m => m.Type == "pi3"),
        ["identity:mac=...05"] = (new DeviceSearch { Attributes = [(AttributeScope.Identity, "mac", "02:00:00:00:00:05")] }, m => m.Mac == "02:00:00:00:00:05"),
        ["tag:site=site-07 type:pi4 status:accepted branch:production"] = (
            new DeviceSearch { Attributes = [(AttributeScope.Tags, "site", "site-07")], DeviceType = "pi4", Status = "accepted", Branch = "production" },
            m => m.Site == "site-07" && m.Type == "pi4" && m.Status == "accepted" && m.Branch == "production"),
        ["tag:site=site-08 group:kiosks"] = (new DeviceSearch { Attributes = [(AttributeScope.Tags, "site", "site-08")], Group = "kiosks" }, m => m.Site == "site-08" && m.Group == "kiosks"),
        ["a mac as a bare word"] = (new DeviceSearch { Text = "02:00:00:00:00:07" }, m => m.Mac == "02:00:00:00:00:07"),
        ["type:nothing"] = (new DeviceSearch { DeviceType = "nothing" }, _ => false),
    };

    /// <remarks>One test over every case: each case on a database of its own would cost a PostgreSQL database each.</remarks>
    [Fact]
    public async Task Every_filter_pages_exactly_its_matches_in_id_order_both_ways()
    {
        foreach (var name in Cases.Keys)
        {
            await PagesExactlyItsMatchesAsync(name);
        }
    }

    private async Task PagesExactlyItsMatchesAsync(string name)
    {
        var (search, match) = Cases[name];
        var expected = Ids(match);
        search = search with { PerPage = 2 };

        var forwards = new List<string>();
        DeviceSearchPage page = await fixture.Store.SearchDevicesAsync(search, None);
        page.Total.ShouldBe(expected.Count, $"{name}: few matches are counted exactly");
        page.TotalIsLowerBound.ShouldBeFalse(name);
        page.HasPrevious.ShouldBeFalse(name);
        forwards.AddRange(page.Devices.Select(d => d.Id));
        for (var pages = 1; page.HasNext; pages++)
        {
            pages.ShouldBeLessThan(20, $"{name}: the pages must end");
            page.Devices.Count.ShouldBe(2, $"{name}: only the last page is short");
            page = await fixture.Store.SearchDevicesAsync(search with { After = page.Devices[^1].Id }, None);
            page.HasPrevious.ShouldBeTrue(name);
            forwards.AddRange(page.Devices.Select(d => d.Id));
        }

        forwards.ShouldBe(expected, $"{name}: every match once, in id order");

        var backwards = new List<string>();
        page = await fixture.Store.SearchDevicesAsync(search with { Before = made[^1].Id + "~" }, None);
        backwards.InsertRange(0, page.Devices.Select(d => d.Id));
        for (var pages = 1; page.HasPrevious; pages++)
        {
            pages.ShouldBeLessThan(20, $"{name}: the pages must end");
            page = await fixture.Store.SearchDevicesAsync(search with { Before = page.Devices[0].Id }, None);
            page.HasNext.ShouldBeTrue(name);
            backwards.InsertRange(0, page.Devices.Select(d => d.Id));
        }

        backwards.ShouldBe(expected, $"{name}: the same devices walking back from past the last id");
    }

    [Fact]
    public async Task A_device_added_before_the_cursor_does_not_move_the_next_page()
    {
        var search = new DeviceSearch { Status = "accepted", PerPage = 4 };
        var first = await fixture.Store.SearchDevicesAsync(search, None);
        var cursor = first.Devices[^1].Id;

        // Ids are random: add devices until one sorts before the cursor (an OFFSET page would then shift).
        var added = new List<string>();
        while (!added.Any(id => string.CompareOrdinal(id, cursor) < 0))
        {
            added.Count.ShouldBeLessThan(40, "a random id sorts before the cursor long before this");
            added.Add((await fixture.AcceptedDeviceAsync($"02:00:00:00:01:{added.Count:x2}")).Id);
        }

        var accepted = Ids(m => m.Status == "accepted").Concat(added).Order(StringComparer.Ordinal).ToList();
        var expectedSecond = accepted.Where(id => string.CompareOrdinal(id, cursor) > 0).Take(4).ToList();
        expectedSecond.ShouldNotBe(accepted.Skip(4).Take(4).ToList(), "what an OFFSET page would show now");
        var second = await fixture.Store.SearchDevicesAsync(search with { After = cursor }, None);
        second.Devices.Select(d => d.Id).ShouldBe(expectedSecond);
    }

    [Fact]
    public async Task A_bare_word_finds_an_id_prefix_and_an_identity_value()
    {
        var target = made.Where(m => m.Status == "accepted").ElementAt(4);
        var prefix = target.Id[..8];
        var byPrefix = await fixture.Store.SearchDevicesAsync(new DeviceSearch { Text = prefix }, None);
        byPrefix.Devices.Select(d => d.Id).ShouldBe(Ids(m => m.Id.StartsWith(prefix, StringComparison.Ordinal)));

        var byMac = await fixture.Store.SearchDevicesAsync(new DeviceSearch { Text = target.Mac }, None);
        byMac.Devices.ShouldHaveSingleItem().Id.ShouldBe(target.Id);

        var byMacAndStatus = await fixture.Store.SearchDevicesAsync(new DeviceSearch { Text = target.Mac, Status = "pending" }, None);
        byMacAndStatus.Devices.ShouldBeEmpty("every filter must match: the device is accepted");
    }
}
