using Gitfleet.Storage.Model;

namespace Gitfleet.Storage.Sql;

/// <summary>
/// One scope of a device's attributes to store (an inventory or tags PUT or PATCH), as the store's write takes it.
/// </summary>
/// <param name="DeviceId">The device; unknown means nothing is written.</param>
/// <param name="Scope">The attribute scope (inventory, tags).</param>
/// <param name="Wanted">The values sent, by name: JSON text (a string, or an array of strings), one per name.</param>
/// <param name="Replace">PUT (names not sent are removed) rather than PATCH (merged).</param>
/// <param name="InventoryHash">The inventory's digest (a PUT), null otherwise; the inventory scope stores it on the device's row.</param>
/// <param name="DeviceType">The inventory's device_type, flattened; null keeps the stored one.</param>
/// <param name="ArtifactName">The inventory's artifact_name, flattened; null keeps the stored one.</param>
/// <param name="Ms">The time of the write (Unix ms).</param>
internal sealed record ScopeWrite(
    string DeviceId, string Scope, IReadOnlyDictionary<string, string> Wanted, bool Replace, string? InventoryHash, string? DeviceType, string? ArtifactName, long Ms)
{
    /// <summary>The inventory scope: the device's row takes its type, artifact and digest too.</summary>
    public bool IsInventory => Scope == AttributeScope.Inventory;
}
