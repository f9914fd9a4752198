using System.Diagnostics;
using System.Globalization;
using Gitfleet.Core.Facts;
using Gitfleet.Storage.Model;
using Gitfleet.Storage.Sqlite;

namespace Gitfleet.Bench;

/// <summary>
/// The group-commit writer as a rollout wave uses it (issue 15), in one process, without HTTP: every device of a
/// deployment reports downloading, installing and rebooting, PUTs the inventory of its new image (17 attributes,
/// three of them changed, and its uptime) and reports success; <c>concurrency</c> devices at once, as many requests
/// in flight as a wave's devices have. Prints writes per second, the process's CPU per write (user+sys: the store's
/// work plus this small driver, the same in both builds), read syscalls per write (SQLite page-cache misses) and RSS.
/// Built against main's store and against a branch's, it compares them on copies of the same database.
/// </summary>
internal static class WriterCostBench
{
    private static readonly string[] Types = ["pi4-v3-arm64", "pi3-arm64", "iot-gate-imx8-arm64", "var-som-mx8m-nano-arm64-v2", "pi2-armhf"];

    /// <summary>A database with <paramref name="devices"/> accepted devices (17 inventory attributes) and one pending deployment per device type over all of them.</summary>
    public static async Task<int> PrepareAsync(string database, int devices)
    {
        var clock = Stopwatch.StartNew();
        var now = DateTimeOffset.UtcNow;
        var facts = Enumerable.Range(0, devices).Select(i => new DeviceFacts
        {
            Id = Guid.NewGuid().ToString(),
            DeviceType = Types[i % Types.Length],
            ArtifactName = "bench-os-1",
            Identity = new Dictionary<string, string> { ["mac"] = Mac(i) },
            Attributes = Inventory(i, "bench-os-1", 1000).ToDictionary(a => a.Key, a => a.Value[0]),
        }).ToList();
        await BenchStore.CreateAsync(database, facts, Types.Select(t => ("bench-os-2", t)), now);
        await using var store = await SqliteFleetStore.OpenAsync(database, CancellationToken.None);
        foreach (var (type, index) in Types.Select((t, i) => (t, i)))
        {
            var id = Guid.NewGuid().ToString();
            var rows = facts.Where(f => f.DeviceType == type).Select(f => new DeviceDeploymentRecord
            {
                Id = Guid.NewGuid().ToString(), DeploymentId = id, DeviceId = f.Id, Status = DeviceDeploymentState.Pending, CreatedAt = now, DeviceType = type,
            }).ToList();
            await store.CreateDeploymentAsync(new NewDeployment(new DeploymentRecord
            {
                Id = id, Name = "bench " + type, ArtifactName = "bench-os-2", Kind = "os", Status = DeploymentState.Pending, CreatedAt = now, DeviceCount = rows.Count, Retries = 1,
            }, rows), CancellationToken.None);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"writer-cost: prepared {devices} devices and {Types.Length} deployments in {clock.Elapsed.TotalSeconds:F0} s"));
        return 0;
    }

    public static async Task<int> RunAsync(string database, int seconds, int concurrency)
    {
        await using var store = await SqliteFleetStore.OpenAsync(database, CancellationToken.None);
        var pending = new List<(string Row, string Device, int Index)>();
        await foreach (var view in store.StreamUnfinishedAsync(CancellationToken.None))
        {
            pending.Add((view.Device.Id, view.Device.DeviceId, pending.Count));
        }

        // Devices in random order, as a wave's reports arrive (not in id order).
        Random.Shared.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(pending));
        var next = -1;
        long writes = 0;
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while (!stop.IsCancellationRequested && (i = Interlocked.Increment(ref next)) < pending.Count)
            {
                var (row, device, index) = pending[i];
                foreach (var status in new[] { DeviceDeploymentState.Downloading, DeviceDeploymentState.Installing, DeviceDeploymentState.Rebooting })
                {
                    await store.UpdateDeviceStatusAsync(row, status, null, DateTimeOffset.UtcNow, CancellationToken.None);
                    Interlocked.Increment(ref writes);
                }

                await store.SaveInventoryAsync(device, Inventory(index, "bench-os-2", 30), replace: true, DateTimeOffset.UtcNow, CancellationToken.None);
                await store.UpdateDeviceStatusAsync(row, DeviceDeploymentState.Success, null, DateTimeOffset.UtcNow, CancellationToken.None);
                Interlocked.Add(ref writes, 2);
            }
        })).ToArray();

        await Task.Delay(TimeSpan.FromSeconds(3));
        var (cpu0, reads0, writes0, wall0) = (Process.GetCurrentProcess().TotalProcessorTime, ReadSyscalls(), Interlocked.Read(ref writes), Stopwatch.GetTimestamp());
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var (cpu1, reads1, writes1) = (Process.GetCurrentProcess().TotalProcessorTime, ReadSyscalls(), Interlocked.Read(ref writes));
        var wall = Stopwatch.GetElapsedTime(wall0).TotalSeconds;
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        var done = writes1 - writes0;
        using var self = Process.GetCurrentProcess();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"writer-cost: {pending.Count} devices, {concurrency} at once, {wall:F0} s: {done / wall:F0} writes/s, CPU {(cpu1 - cpu0).TotalMicroseconds / Math.Max(1, done):F0} us/write ({(cpu1 - cpu0).TotalSeconds / wall:F2} cores), "
            + $"{(reads1 - reads0) / (double)Math.Max(1, done):F1} read syscalls/write ({(reads1 - reads0) / wall:F0}/s), RSS {self.WorkingSet64 / 1048576} MiB (peak {self.PeakWorkingSet64 / 1048576})")
            + (next >= pending.Count ? " (ran out of devices: use more)" : ""));
        return next >= pending.Count ? 1 : 0;
    }

    private static string Mac(int i) => string.Create(CultureInfo.InvariantCulture, $"02:00:{i >> 24 & 255:x2}:{i >> 16 & 255:x2}:{i >> 8 & 255:x2}:{i & 255:x2}");

    /// <summary>What the simulator's devices send (17 attributes): the image's three names and the uptime change with an update.</summary>
    private static List<KeyValuePair<string, IReadOnlyList<string>>> Inventory(int i, string image, int uptime) =>
        new (string Name, string Value)[]
        {
            ("device_type", Types[i % Types.Length]), ("artifact_name", image), ("rootfs-image.version", image), ("mender_client_version", "3.4.0"),
            ("hostname", string.Create(CultureInfo.InvariantCulture, $"bench-{i:D6}")), ("mac_eth0", Mac(i)), ("os", "Debian GNU/Linux 11 (bullseye)"),
            ("kernel", "Linux version 5.15.32-v8+ (aarch64)"), ("cpu_model", "Cortex-A72 (ARMv8 Processor rev 3)"), ("mem_total_kB", "3882384"),
            ("uptime_seconds", uptime.ToString(CultureInfo.InvariantCulture)), ("gitfleet_device_version", "0.1.0"), ("gitfleet_os_image", image),
            ("gitfleet_config_checksum", "0f3c5a1e2b4d6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708"), ("gitfleet_subscribed_branch", "production"),
            ("gitfleet_expected_os_image", image), ("gitfleet_config_matches_os_image", "true"),
        }.Select(a => new KeyValuePair<string, IReadOnlyList<string>>(a.Name, [a.Value])).ToList();

    /// <summary>read/pread syscalls of this process so far (/proc/self/io syscr).</summary>
    private static long ReadSyscalls() =>
        File.ReadLines("/proc/self/io").Where(l => l.StartsWith("syscr:", StringComparison.Ordinal)).Select(l => long.Parse(l[6..].Trim(), CultureInfo.InvariantCulture)).First();
}
