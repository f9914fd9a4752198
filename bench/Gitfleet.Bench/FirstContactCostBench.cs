using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Gitfleet.Core.Facts;
using Gitfleet.Storage.Model;
using Gitfleet.Storage.Sqlite;

namespace Gitfleet.Bench;

/// <summary>
/// The store's share of a first-contact storm (issue 11), in one process without HTTP, TLS or signatures: every
/// preauthorized device of bench/storm.sh's prepared database does what its auth request and inventory PUT ask of
/// the store (the lookup of its identity and key, the write that accepts its auth set, the read of the device after
/// it, the write of its 17 new inventory attributes), <c>concurrency</c> devices at once. Prints devices per second and
/// the process's CPU per device (user+sys). Built against main's store and against a branch's, it compares them on
/// copies of the same database (bench/first-contact-cost.sh).
/// </summary>
internal static class FirstContactCostBench
{
    public static async Task<int> RunAsync(string requests, string database, int concurrency)
    {
        var devices = File.ReadLines(requests).Select(line =>
        {
            using var body = JsonDocument.Parse(Convert.FromBase64String(line[..line.IndexOf('\t', StringComparison.Ordinal)]));
            var identity = JsonSerializer.Deserialize<Dictionary<string, string>>(body.RootElement.GetProperty("id_data").GetString()!)!;
            return (Identity: identity, Key: Gitfleet.Server.Security.DevicePublicKey.Normalize(body.RootElement.GetProperty("pubkey").GetString()!));
        }).ToList();
        var attributes = JsonSerializer.Deserialize<List<NameValue>>(Load.CheckInLoad.InventoryBody, new JsonSerializerOptions(JsonSerializerDefaults.Web))!
            .Select(a => new KeyValuePair<string, IReadOnlyList<string>>(a.Name, [a.Value])).ToList();
        var digest = InventoryDigest.Of(attributes);

        await using var store = await SqliteFleetStore.OpenAsync(database, CancellationToken.None);
        var next = -1;
        var failures = 0;
        using var self = Process.GetCurrentProcess();
        var (cpu0, written0, wall0) = (self.TotalProcessorTime, Written(), Stopwatch.GetTimestamp());
        var writer0 = Load.CpuSample.ThreadCpu(Environment.ProcessId, "Gitfleet group");
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < devices.Count)
            {
                var (identity, key) = devices[i];
                var known = await store.FindAuthSetAsync(identity, key, CancellationToken.None);
                var outcome = await store.RecordAuthRequestAsync(Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), identity, key, DateTimeOffset.UtcNow, CancellationToken.None);
                var device = await store.GetDeviceAsync(outcome.Device.Id, CancellationToken.None);
                if (known?.AuthSet?.Status != AuthStatus.Preauthorized || device?.Status != AuthStatus.Accepted
                    || !await store.ReplaceChangedInventoryAsync(device.Id, attributes, digest, DateTimeOffset.UtcNow, CancellationToken.None))
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        self.Refresh();
        var wall = Stopwatch.GetElapsedTime(wall0).TotalSeconds;
        var cpu = (self.TotalProcessorTime - cpu0).TotalMicroseconds;
        var written = Written() - written0;
        var writer = (Load.CpuSample.ThreadCpu(Environment.ProcessId, "Gitfleet group") - writer0).TotalMicroseconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"first-contact-cost: {devices.Count} devices, {concurrency} at once: {wall:F1} s, {devices.Count / wall:F0} devices/s, CPU {cpu / devices.Count:F0} us/device ({cpu / 1e6 / wall:F2} cores), writer thread {writer / devices.Count:F0} us/device ({writer / 1e6 / wall:F2} cores), "
            + $"{written / 1024.0 / devices.Count:F1} KiB written per device, {store.GroupCommits.Writes / (double)Math.Max(1, store.GroupCommits.Batches):F1} writes per commit, {failures} failures, RSS {self.WorkingSet64 / 1048576} MiB (peak {self.PeakWorkingSet64 / 1048576})"));
        return failures == 0 ? 0 : 1;
    }

    /// <summary>Bytes this process handed to write syscalls so far (/proc/self/io wchar): the log, checkpoints, temp files.</summary>
    private static long Written() =>
        File.ReadLines("/proc/self/io").Where(l => l.StartsWith("wchar:", StringComparison.Ordinal)).Select(l => long.Parse(l[6..].Trim(), CultureInfo.InvariantCulture)).First();

    private sealed record NameValue(string Name, string Value);
}
