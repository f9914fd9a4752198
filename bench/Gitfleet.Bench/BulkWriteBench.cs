using System.Diagnostics;
using System.Globalization;
using Gitfleet.Core.Rollouts;
using Gitfleet.Storage.Model;
using Gitfleet.Storage.Postgres;

namespace Gitfleet.Bench;

/// <summary>
/// A wave's bulk write on PostgreSQL, through binary COPY and through one prepared statement per row, side by side in
/// one process on one database, alternating: one rollout decision for ROWS/4 devices (their device deployment rows,
/// rollout rows and configured maps) and the branch membership of the same devices, so ROWS rows in all. Fresh
/// device ids every run: every row is an insert. Prints each run and the medians.
/// </summary>
internal static class BulkWriteBench
{
    public static async Task<int> RunAsync(string url, int rows, int runs)
    {
        var location = PostgresLocation.Parse(url, Environment.GetEnvironmentVariable("GITFLEET_STORE_PASSWORD"));
        await using var store = await PostgresFleetStore.OpenAsync(location, CancellationToken.None);
        var devices = rows / 4;
        var times = new Dictionary<string, List<double>> { ["copy"] = [], ["rows"] = [] };
        var run = 0;
        for (var i = 0; i <= runs; i++)
        {
            foreach (var mode in new[] { "copy", "rows" })
            {
                store.BulkCopyMinimumRows = mode == "copy" ? PostgresFleetStore.DefaultBulkCopyMinimumRows : int.MaxValue;
                var seconds = await OneAsync(store, devices, run++);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(i == 0 ? "warm-up" : "run " + i)} {mode}: {devices * 4} rows in {seconds:0.00} s ({devices * 4 / seconds:0} rows/s)"));
                if (i > 0)
                {
                    times[mode].Add(seconds);
                }
            }
        }

        double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
        var (copy, perRow) = (Median(times["copy"]), Median(times["rows"]));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"median of {runs}: binary COPY {copy:0.00} s, a statement per row {perRow:0.00} s: {perRow / copy:0.0}x faster for {devices * 4} rows"));
        return 0;
    }

    private static async Task<double> OneAsync(PostgresFleetStore store, int devices, int run)
    {
        var now = DateTimeOffset.UtcNow;
        var ids = Enumerable.Range(0, devices).Select(i => string.Create(CultureInfo.InvariantCulture, $"bulk-{run:d3}-{i:d7}")).ToList();
        var deploymentId = Guid.NewGuid().ToString();
        var deployment = new NewDeployment(
            new DeploymentRecord
            {
                Id = deploymentId, Name = "bulk " + run, ArtifactName = "release-2", Kind = "os", Status = DeploymentState.Pending, CreatedAt = now,
                DeviceCount = devices, Trace = new DeploymentTrace("bulk-" + run, "abc", null, null),
            },
            ids.Select(d => new DeviceDeploymentRecord { Id = Guid.NewGuid().ToString(), DeploymentId = deploymentId, DeviceId = d, Status = DeviceDeploymentState.Pending, CreatedAt = now, DeviceType = "pi4" }).ToList());
        var configuration = new Dictionary<string, string> { ["ntp"] = "pool.ntp.org", ["zone"] = "Europe/Zurich", ["log_level"] = "info" };
        var commit = new RolloutCommit
        {
            Branch = "bulk-" + run, Generation = 1, Progress = RolloutProgress.Start, StartedAt = now, ReplaceDevices = true,
            Devices = ids.Select(d => new RolloutDeviceRecord(d, RolloutDeviceState.Scheduled, 1, [deploymentId], null, now)).ToList(),
            Deployments = [deployment],
            Configured = ids.Select(d => new ConfiguredWrite(d, configuration, deploymentId)).ToList(),
            Now = now,
        };
        var clock = Stopwatch.StartNew();
        await store.CommitRolloutAsync(commit, CancellationToken.None);
        await store.SyncBranchMembersAsync("bulk-" + run, ids.ToHashSet(StringComparer.Ordinal), CancellationToken.None);
        return clock.Elapsed.TotalSeconds;
    }
}
