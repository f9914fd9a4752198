using System.Security.Cryptography;
using System.Text;
using Gitfleet.Core.Facts;

namespace Gitfleet.Core.Tests.Facts;

/// <summary>
/// The inventory digest the store keeps for every device: its bytes must stay what they were when the stored digests
/// were written (else every device's first unchanged inventory after an upgrade is written again).
/// </summary>
public sealed class InventoryDigestTests
{
    private static List<KeyValuePair<string, IReadOnlyList<string>>> Inventory(params (string Name, string[] Values)[] attributes) =>
        [.. attributes.Select(a => new KeyValuePair<string, IReadOnlyList<string>>(a.Name, a.Values))];

    private static readonly List<KeyValuePair<string, IReadOnlyList<string>>> Sample = Inventory(
        ("rootfs-image.version", ["2026-02-01-a"]),
        ("device_type", ["raspberrypi4"]),
        ("ipv4_eth0", ["10.0.0.7/24", "fe80::1/64"]),
        ("mac_eth0", ["dc:a6:32:00:00:01"]),
        ("hostname", ["Gerät-07 ✓"]),
        ("empty", []),
        ("kernel", ["Linux version 6.1.0"]));

    /// <summary>The digest as it was first defined: one hash update per name, value and separator, names in ordinal order.</summary>
    private static ulong Reference(IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> attributes)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, values) in attributes.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(name));
            hash.AppendData([0]);
            foreach (var value in values)
            {
                hash.AppendData(Encoding.UTF8.GetBytes(value));
                hash.AppendData([1]);
            }

            hash.AppendData([2]);
        }

        return BitConverter.ToUInt64(hash.GetHashAndReset());
    }

    [Fact]
    public void The_digest_is_the_one_the_store_already_keeps()
    {
        InventoryDigest.Of(Sample).ShouldBe(Reference(Sample));
        InventoryDigest.Of([]).ShouldBe(Reference([]));
    }

    [Fact]
    public void The_order_of_attributes_does_not_matter_but_the_order_of_values_does()
    {
        var reversed = Enumerable.Reverse(Sample).ToList();
        InventoryDigest.Of(reversed).ShouldBe(InventoryDigest.Of(Sample));

        var swapped = Inventory(("ipv4_eth0", ["fe80::1/64", "10.0.0.7/24"]));
        InventoryDigest.Of(swapped).ShouldNotBe(InventoryDigest.Of(Inventory(("ipv4_eth0", ["10.0.0.7/24", "fe80::1/64"]))));
    }

    [Fact]
    public void Any_change_of_a_name_or_a_value_changes_the_digest()
    {
        var changedValue = Sample.Select(a => a.Key == "rootfs-image.version" ? new(a.Key, ["2026-03-01-a"]) : a).ToList();
        InventoryDigest.Of(changedValue).ShouldNotBe(InventoryDigest.Of(Sample));

        // The separators keep a value from sliding into the next name.
        InventoryDigest.Of(Inventory(("a", ["bc"]), ("d", []))).ShouldNotBe(InventoryDigest.Of(Inventory(("a", ["b"]), ("cd", []))));
    }

    [Fact]
    public void Equal_names_keep_their_given_order()
    {
        var twice = Inventory(("x", ["1"]), ("x", ["2"]));
        InventoryDigest.Of(twice).ShouldBe(Reference(twice));
        InventoryDigest.Of(twice).ShouldNotBe(InventoryDigest.Of(Inventory(("x", ["2"]), ("x", ["1"]))));
    }
}
