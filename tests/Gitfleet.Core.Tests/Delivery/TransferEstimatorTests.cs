using Gitfleet.Core.Delivery;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Rollouts;

namespace Gitfleet.Core.Tests.Delivery;

/// <summary>Bytes over the air per wave, per base image and method, from a catalog.</summary>
public sealed class TransferEstimatorTests
{
    internal const long Full = 300_000_000;

    internal static readonly TransferCatalog Catalog = new()
    {
        Artifacts =
        [
            new CatalogArtifact { Name = "img-1", Image = "img-1", DeviceTypes = ["pi4"], Size = Full, DeltaCapable = true },
            new CatalogArtifact { Name = "img-2", Image = "img-2", DeviceTypes = ["pi4"], Size = Full, DeltaCapable = true },
            new CatalogArtifact { Name = "img-0", Image = "img-0", DeviceTypes = ["pi4"], Size = Full, DeltaCapable = true },
            new CatalogArtifact { Name = "old-tarball", DeviceTypes = ["pi4"], Size = Full, DeltaCapable = false },
            new CatalogArtifact { Name = "img-3", Image = "img-3", DeviceTypes = ["pi4"], Size = Full, DeltaCapable = true },
        ],
        Deltas =
        [
            new CatalogDelta { From = "img-1", To = "img-2", DeviceType = "pi4", State = CatalogDelta.Ready, Size = 9_000_000 },
            new CatalogDelta { From = "img-0", To = "img-2", DeviceType = "pi4", State = CatalogDelta.Generating },
            new CatalogDelta { From = "img-1", To = "img-3", DeviceType = "pi4", State = CatalogDelta.Failed },
        ],
    };

    private static TransferEstimate Estimate(IReadOnlyList<TransferDevice> devices, RolloutPolicy? policy = null) =>
        TransferEstimator.Estimate(devices.Select(d => d.Key).ToList(), devices, policy ?? RolloutPolicy.AllAtOnce, "commit-a", Catalog);

    private static TransferGroup Only(TransferEstimate estimate) => estimate.Waves.Single().Groups.Single();

    [Fact]
    public void A_device_that_applies_deltas_gets_the_ready_delta()
    {
        var group = Only(Estimate([new TransferDevice("d1", "pi4", "img-1", "img-2", AppliesDeltas: true)]));
        group.Method.ShouldBe(TransferMethod.Delta);
        group.BytesEach.ShouldBe(9_000_000);
    }

    [Theory]
    [InlineData("img-1", false, TransferMethod.Full, "the device does not apply deltas")]
    [InlineData("old-tarball", true, TransferMethod.Full, "the installed image is not on the server in a delta-capable form")]
    [InlineData(null, true, TransferMethod.Full, "installed image unknown")]
    [InlineData("img-0", true, TransferMethod.DeltaPending, "delta not generated yet: counted at full size")]
    public void Everything_else_is_counted_at_the_full_size(string? from, bool appliesDeltas, TransferMethod method, string note)
    {
        var group = Only(Estimate([new TransferDevice("d1", "pi4", from, "img-2", appliesDeltas)]));
        group.Method.ShouldBe(method);
        group.BytesEach.ShouldBe(Full);
        group.Note.ShouldBe(note);
    }

    [Fact]
    public void A_failed_delta_means_the_full_image()
    {
        var group = Only(Estimate([new TransferDevice("d1", "pi4", "img-1", "img-3", AppliesDeltas: true)]));
        group.Method.ShouldBe(TransferMethod.Full);
        group.Note.ShouldBe("the delta could not be generated");
    }

    [Fact]
    public void An_image_the_server_does_not_have_is_unknown_and_counted_apart()
    {
        var estimate = Estimate([new TransferDevice("d1", "pi4", "img-1", "img-9", AppliesDeltas: true)]);
        Only(estimate).Method.ShouldBe(TransferMethod.Unknown);
        estimate.UnknownDevices.ShouldBe(1);
        estimate.TotalBytes.ShouldBe(0);
    }

    [Fact]
    public void Waves_follow_the_rollout_order_and_sum_per_base_image()
    {
        var devices = Enumerable.Range(0, 100)
            .Select(i => new TransferDevice($"d{i:D3}", "pi4", i % 4 == 0 ? "img-0" : "img-1", "img-2", AppliesDeltas: i % 10 != 0))
            .ToList();
        var policy = new RolloutPolicy { Waves = [Quantity.Percent(10), Quantity.Percent(50), Quantity.Percent(100)] };

        var estimate = Estimate(devices, policy);

        estimate.Waves.Select(w => w.Devices).ShouldBe([10, 40, 50]);
        var firstWave = RolloutPlanner.Order(devices.Select(d => new RolloutDevice { Key = d.Key }).ToList(), "commit-a").Take(10).Select(d => d.Key).ToHashSet();
        estimate.Waves[0].Groups.Sum(g => g.Devices).ShouldBe(10);
        estimate.Waves[0].Bytes.ShouldBe(devices.Where(d => firstWave.Contains(d.Key)).Sum(d =>
            !d.AppliesDeltas || d.From == "img-0" ? Full : 9_000_000L));
        estimate.TotalBytes.ShouldBe(estimate.Waves.Sum(w => w.Bytes));
        estimate.FullImageBytes.ShouldBe(100 * Full);
        var deltas = estimate.Waves.SelectMany(w => w.Groups).Where(g => g.Method == TransferMethod.Delta).Sum(g => g.Devices);
        deltas.ShouldBe(devices.Count(d => d.AppliesDeltas && d.From == "img-1"));
    }

    [Fact]
    public void Configuration_only_devices_shape_the_waves_but_move_no_image()
    {
        var keys = Enumerable.Range(0, 10).Select(i => $"d{i}").ToList();
        var estimate = TransferEstimator.Estimate(keys, [new TransferDevice("d3", "pi4", "img-1", "img-2", true)],
            new RolloutPolicy { Waves = [Quantity.Percent(50), Quantity.Percent(100)] }, "commit-a", Catalog);
        estimate.Devices.ShouldBe(1);
        estimate.Waves.Single().Devices.ShouldBe(1);
    }
}
