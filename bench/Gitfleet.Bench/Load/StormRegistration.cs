using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Gitfleet.Core.Facts;
using Gitfleet.Server.Api;
using Gitfleet.Server.Api.Device;
using Gitfleet.Server.Security;
using Gitfleet.Storage.Model;
using Gitfleet.Storage.Sqlite;

namespace Gitfleet.Bench.Load;

/// <summary>
/// <c>storm-register</c>: the prepared (preauthorized) storm devices brought to the state a first-contact storm leaves
/// them in, through the store's own write API and without the server: each device's auth request recorded (its
/// preauthorized auth set becomes accepted), the storm's inventory stored as the inventory endpoint parses it (with
/// the digest the device service computes), the rootfs-image.version its v2 next provides and a check-in. The writes
/// are the ones the server makes for these requests, minus HTTP, TLS and signature checks: a million devices register
/// in minutes instead of the better part of an hour, so a restart storm of a million devices can be timed
/// (bench/storm.sh REGISTERED=direct). That the result is what a first contact leaves is checked there: the restart
/// storm after it must write no attribute (an inventory or provides the server found different would be rewritten).
/// </summary>
internal static class StormRegistration
{
    /// <summary>Writes in flight at once: enough for the store's group-commit writer to fill its batches.</summary>
    public const int WritesInFlight = 256;

    /// <summary>What the storm's v2 next provides (StormLoad's request body).</summary>
    private const string ProvidedVersion = "bench-os-1";

    public static async Task<int> RunAsync(BenchArgs args)
    {
        var (identities, keys) = await StormDevices.ReadDevicesAsync(args.Text("requests"));
        var items = JsonSerializer.Deserialize<List<NameValue>>(CheckInLoad.InventoryBody, ApiJson.Options)!;
        var attributes = DeviceInventoryEndpoints.ToAttributes(items);
        var digest = InventoryDigest.Of(attributes);
        var ids = new string[keys.Length];
        var watch = Stopwatch.StartNew();
        var now = DateTimeOffset.UtcNow;
        await using (var store = await SqliteFleetStore.OpenAsync(args.Text("database"), CancellationToken.None))
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, keys.Length), new ParallelOptions { MaxDegreeOfParallelism = WritesInFlight }, async (i, cancellationToken) =>
            {
                var outcome = await store.RecordAuthRequestAsync(Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), identities[i],
                    DevicePublicKey.Normalize(keys[i]), now, cancellationToken);
                if (outcome.AuthSet.Status != AuthStatus.Accepted || outcome.Device.Status != AuthStatus.Accepted)
                {
                    throw new InvalidDataException($"device {i} was not preauthorized: its auth request left it {outcome.Device.Status}");
                }

                if (!await store.ReplaceChangedInventoryAsync(outcome.Device.Id, attributes, digest, now, cancellationToken))
                {
                    throw new InvalidDataException($"device {outcome.Device.Id} vanished while its inventory was stored");
                }

                ids[i] = outcome.Device.Id;
            });
            foreach (var chunk in ids.Chunk(5000))
            {
                await store.SaveProvidedAsync([.. chunk.Select(id => new ProvidedAttribute(id, DeviceFacts.RootfsImageVersionAttribute, ProvidedVersion))], now, CancellationToken.None);
                await store.SaveCheckInsAsync([.. chunk.Select(id => KeyValuePair.Create(id, now))], CancellationToken.None);
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"storm devices: {keys.Length} registered through the store (auth set accepted, inventory, provides, check-in) in {watch.Elapsed.TotalSeconds:F0} s"));
        return 0;
    }
}
