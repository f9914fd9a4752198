namespace Gitfleet.Core.Delivery;

/// <summary>What one device downloads: the method, the bytes (null when unknown), the full artifact's size, and why not a delta.</summary>
public readonly record struct TransferCost(TransferMethod Method, long? BytesEach, long? FullBytes, string? Note);

/// <summary>
/// The cost of a device's OS update from the server's catalog: the delta from its installed image when the device
/// applies deltas and both images are delta-capable (ready: its size; not generated yet: the full size, marked
/// pending), else the full artifact. Used by the estimate of a change and by the rollout's byte budget.
/// </summary>
public sealed class TransferCosts(TransferCatalog catalog)
{
    private readonly Dictionary<(string From, string To, string Type), CatalogDelta> deltas =
        catalog.Deltas.GroupBy(d => (d.From, d.To, d.DeviceType)).ToDictionary(g => g.Key, g => g.First());

    public TransferCost Cost(TransferDevice device)
    {
        var target = Artifact(device.To, device.DeviceType, byImage: false);
        if (target is null)
        {
            return new TransferCost(TransferMethod.Unknown, null, null, "the target artifact is not on the server");
        }

        var full = new TransferCost(TransferMethod.Full, target.Size, target.Size, null);
        if (!target.DeltaCapable || device.From is null || device.DeviceType is null)
        {
            return full with { Note = target.DeltaCapable ? "installed image unknown" : "the target has no delta-capable form" };
        }

        if (!device.AppliesDeltas)
        {
            return full with { Note = "the device does not apply deltas" };
        }

        if (Artifact(device.From, device.DeviceType, byImage: true) is not { DeltaCapable: true })
        {
            return full with { Note = "the installed image is not on the server in a delta-capable form" };
        }

        var targetImage = target.Image ?? target.Name;
        return deltas.GetValueOrDefault((device.From, targetImage, device.DeviceType)) switch
        {
            { State: CatalogDelta.Ready, Size: { } size } => new TransferCost(TransferMethod.Delta, size, target.Size, null),
            { State: CatalogDelta.Failed } => full with { Note = "the delta could not be generated" },
            _ => new TransferCost(TransferMethod.DeltaPending, target.Size, target.Size, "delta not generated yet: counted at full size"),
        };
    }

    private CatalogArtifact? Artifact(string name, string? deviceType, bool byImage) =>
        catalog.Artifacts.FirstOrDefault(a => (byImage ? (a.Image ?? a.Name) == name : a.Name == name)
            && (deviceType is null || a.DeviceTypes.Contains(deviceType, StringComparer.Ordinal)));
}
