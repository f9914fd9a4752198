using Gitfleet.Storage.Model;

namespace Gitfleet.Storage.Tests.Sqlite;

/// <summary>Delta generation is claimed once per pair (a stale claim is taken over), and failed deltas are remembered per device.</summary>
public sealed class DeltaStoreTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly DeltaKey Pair = new("base-artifact", "target-artifact", "rpi4");
    private readonly StoreFixture fixture = new();

    private IFleetStore Store => fixture.Store;

    public Task InitializeAsync() => fixture.InitializeAsync();

    public Task DisposeAsync() => fixture.DisposeAsync();

    private static DeltaRecord Candidate(string server, DateTimeOffset at) => new()
    {
        Id = Guid.NewGuid().ToString(), Key = Pair, State = DeltaState.Generating, Format = "xdelta3",
        BaseImage = "img-1", TargetImage = "img-2", TargetSize = 1000, ClaimedBy = server, ClaimedAt = at,
    };

    [Fact]
    public async Task The_first_claim_wins_and_the_others_see_it_in_progress()
    {
        var first = await Store.ClaimDeltaAsync(Candidate("server-a", StoreFixture.Now), StoreFixture.Now.AddMinutes(-30), None);
        var second = await Store.ClaimDeltaAsync(Candidate("server-b", StoreFixture.Now.AddSeconds(1)), StoreFixture.Now.AddMinutes(-30), None);

        first.Claimed.ShouldBeTrue();
        second.Claimed.ShouldBeFalse();
        second.Delta.Id.ShouldBe(first.Delta.Id);
        second.Delta.ClaimedBy.ShouldBe("server-a");
        (await Store.ListDeltasAsync(None)).ShouldHaveSingleItem();
    }

    [Fact]
    public async Task A_stale_claim_is_taken_over_and_the_slow_server_cannot_finish_it()
    {
        var slow = (await Store.ClaimDeltaAsync(Candidate("server-a", StoreFixture.Now), StoreFixture.Now.AddMinutes(-30), None)).Delta;
        var later = StoreFixture.Now.AddMinutes(31);
        var takeover = await Store.ClaimDeltaAsync(Candidate("server-b", later), later.AddMinutes(-30), None);
        takeover.Claimed.ShouldBeTrue();
        takeover.Delta.Id.ShouldBe(slow.Id);

        (await Store.FinishDeltaAsync(slow with { State = DeltaState.Ready, FileName = "x.mender", Size = 10, Checksum = "aa", FinishedAt = later }, None))
            .ShouldBeFalse("the claim moved to server-b");
        (await Store.FinishDeltaAsync(takeover.Delta with { State = DeltaState.Ready, FileName = "y.mender", Size = 12, Checksum = "bb", FinishedAt = later, GenerationMs = 900 }, None))
            .ShouldBeTrue();

        var ready = (await Store.GetDeltaAsync(Pair, None))!;
        ready.State.ShouldBe(DeltaState.Ready);
        ready.FileName.ShouldBe("y.mender");
        ready.Size.ShouldBe(12);
        ready.GenerationMs.ShouldBe(900);
        (await Store.ClaimDeltaAsync(Candidate("server-c", later.AddHours(5)), later.AddHours(4), None)).Claimed.ShouldBeFalse("a ready delta is never claimed again");
    }

    [Fact]
    public async Task Deleting_an_artifact_removes_its_deltas()
    {
        await Store.ClaimDeltaAsync(Candidate("server-a", StoreFixture.Now), StoreFixture.Now, None);
        (await Store.DeleteDeltasAsync(null, "unrelated", None)).ShouldBeEmpty();
        (await Store.DeleteDeltasAsync(null, "target-artifact", None)).ShouldHaveSingleItem().Key.ShouldBe(Pair);
        (await Store.GetDeltaAsync(Pair, None)).ShouldBeNull();
    }

    [Fact]
    public async Task A_delta_that_failed_on_a_device_is_not_offered_to_it_again()
    {
        var device = await fixture.AcceptedDeviceAsync("d1");
        var first = StoreFixture.Deployment("img-2", [device.Id], StoreFixture.Now, retries: 1);
        await Store.CreateDeploymentAsync(first, None);
        var row = first.Devices[0];

        await Store.RecordDeltaOfferAsync(new DeltaOfferRecord(row.Id, 0, device.Id, "delta-1", StoreFixture.Now), None);
        await Store.RecordDeltaOfferAsync(new DeltaOfferRecord(row.Id, 0, device.Id, "delta-1", StoreFixture.Now), None); // the same attempt asks twice
        (await Store.DeltaFailedBeforeAsync(device.Id, "delta-1", row.Id, 0, None)).ShouldBeFalse("the same attempt may take its delta again");

        // The attempt fails and is retried: the retry (attempt 1) must not repeat the delta.
        await Store.UpdateDeviceStatusAsync(row.Id, DeviceDeploymentState.Downloading, null, StoreFixture.Now, None);
        await Store.UpdateDeviceStatusAsync(row.Id, DeviceDeploymentState.Failure, null, StoreFixture.Now, None);
        (await Store.DeltaFailedBeforeAsync(device.Id, "delta-1", row.Id, 1, None)).ShouldBeTrue();
        (await Store.DeltaFailedBeforeAsync(device.Id, "delta-2", row.Id, 1, None)).ShouldBeFalse("another delta was never tried");

        // A later deployment (the rollout's retry) knows the earlier one failed with it.
        var second = StoreFixture.Deployment("img-2", [device.Id], StoreFixture.Now.AddMinutes(5));
        await Store.CreateDeploymentAsync(second, None);
        await Store.UpdateDeviceStatusAsync(row.Id, DeviceDeploymentState.Downloading, null, StoreFixture.Now, None);
        await Store.UpdateDeviceStatusAsync(row.Id, DeviceDeploymentState.Failure, null, StoreFixture.Now, None);
        (await Store.DeltaFailedBeforeAsync(device.Id, "delta-1", second.Devices[0].Id, 0, None)).ShouldBeTrue();
    }
}
