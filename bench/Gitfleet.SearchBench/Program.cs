using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Gitfleet.Storage.Model;
using Gitfleet.Storage.Sqlite;
using Microsoft.Data.Sqlite;

// The store's half of the dashboard's device list at scale: what Devices.razor asks the store for (the search, then
// the page's branches and rollout rows), per search of bench/dashboard.sh, on a generated store.
//   generate DB DEVICES: DEVICES accepted devices in 4 types and 40 sites (identity mac, 3 inventory attributes,
//     tags site and ring), every one a member of production with a scheduled rollout row, 20 of them failed.
//   search DB RUNS: each search RUNS times after 3 warm-ups, one at a time; p50/p95 in ms.
return args switch
{
    ["generate", var database, var devices] => await GenerateAsync(database, int.Parse(devices, CultureInfo.InvariantCulture)),
    ["search", var database, var runs] => await SearchAsync(database, int.Parse(runs, CultureInfo.InvariantCulture)),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Gitfleet.SearchBench generate DB DEVICES | search DB RUNS");
    return 2;
}

static async Task<int> GenerateAsync(string database, int devices)
{
    await (await SqliteFleetStore.OpenAsync(database, CancellationToken.None)).DisposeAsync();
    string[] types = ["pi3-arm64", "pi4-v3-arm64", "iot-gate-imx8-arm64", "var-som-mx8m-nano-arm64-v2"];
    var random = new Random(16);
    await using var connection = new SqliteConnection($"Data Source={database};Pooling=false");
    await connection.OpenAsync();
    await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();
    var device = Prepare("INSERT INTO devices (id, status, identity_json, identity_key, device_type, artifact_name, group_name, created_ms, updated_ms, last_checkin_ms) VALUES ($a, 'accepted', $b, $b, $c, $d, NULL, 1, 1, 1)");
    var attribute = Prepare("INSERT INTO attributes (device_id, scope, name, value_json, updated_ms) VALUES ($a, $b, $c, $d, 1)");
    var member = Prepare("INSERT INTO branch_members (device_id, branch) VALUES ($a, 'production')");
    var rollout = Prepare("INSERT INTO rollout_devices (branch, device_id, state, attempts, deployments, last_error, changed_ms) VALUES ('production', $a, $b, 1, 'd', $c, 1)");
    for (var i = 0; i < devices; i++)
    {
        var id = new Guid(random.GetItems<byte>(Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(), 16)).ToString();
        var mac = string.Join(':', random.GetItems<byte>(Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(), 6).Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
        var type = types[i % types.Length];
        var identity = JsonSerializer.Serialize(new Dictionary<string, string> { ["mac"] = mac });
        Run(device, id, identity, type, "2026-02-01-" + type);
        Run(attribute, id, "identity", "mac", JsonSerializer.Serialize(mac));
        var inventory = new Dictionary<string, string> { ["device_type"] = type, ["artifact_name"] = "2026-02-01-" + type, ["hostname"] = "device-" + i };
        foreach (var (name, value) in inventory)
        {
            Run(attribute, id, "inventory", name, JsonSerializer.Serialize(value));
        }

        Run(attribute, id, "tags", "site", JsonSerializer.Serialize($"site-{i % 40:D2}"));
        Run(attribute, id, "tags", "ring", "\"production\"");
        Run(member, id);
        var failed = i % (devices / 20) == 7;
        Run(rollout, id, failed ? "failed" : "scheduled", failed ? "health check failed: kiosk did not start" : null);
    }

    await transaction.CommitAsync();
    Console.WriteLine($"generated {devices} devices in {database}");
    return 0;

    SqliteCommand Prepare(string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var name in new[] { "$a", "$b", "$c", "$d" }.Where(sql.Contains))
        {
            command.Parameters.Add(new SqliteParameter(name, null));
        }

        command.Prepare();
        return command;
    }

    static void Run(SqliteCommand command, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        }

        command.ExecuteNonQuery();
    }
}

static async Task<int> SearchAsync(string database, int runs)
{
    var opened = Stopwatch.StartNew();
    await using var store = await SqliteFleetStore.OpenAsync(database, CancellationToken.None);
    Console.WriteLine($"store opened (migrations included) in {opened.ElapsedMilliseconds} ms");
    long devices, scheduled, failed;
    string halfWay, prefix;
    await using (var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=false"))
    {
        await connection.OpenAsync();
        devices = Scalar<long>(connection, "SELECT COUNT(*) FROM devices");
        scheduled = Scalar<long>(connection, "SELECT COUNT(*) FROM rollout_devices WHERE branch = 'production' AND state = 'scheduled'");
        failed = Scalar<long>(connection, "SELECT COUNT(*) FROM rollout_devices WHERE branch = 'production' AND state = 'failed'");
        halfWay = Scalar<string>(connection, $"SELECT device_id FROM branch_members WHERE branch = 'production' ORDER BY device_id LIMIT 1 OFFSET {devices / 2}");
        prefix = Scalar<string>(connection, "SELECT id FROM devices ORDER BY id LIMIT 1 OFFSET 12345")[..6];
    }

    // KnownTotal as the page passes it (KnownDeviceCount): in memory for no filter, a branch, a branch in one rollout state.
    var searches = new (string Name, DeviceSearch Search)[]
    {
        ("devices (first page, no filter)", new DeviceSearch { KnownTotal = devices }),
        ("devices: branch:production rollout:scheduled", new DeviceSearch { Branch = "production", RolloutState = "scheduled", KnownTotal = scheduled }),
        ("devices: branch:production, half-way", new DeviceSearch { Branch = "production", After = halfWay, KnownTotal = devices }),
        ("devices: status:accepted type:pi4-v3-arm64", new DeviceSearch { Status = "accepted", DeviceType = "pi4-v3-arm64" }),
        ("devices: tag:site=site-07 (an attribute)", new DeviceSearch { Attributes = [("tags", "site", "site-07")] }),
        ("devices: id prefix", new DeviceSearch { Text = prefix }),
        ("devices: branch:production rollout:failed", new DeviceSearch { Branch = "production", RolloutState = "failed", KnownTotal = failed }),
        ("devices: reason:health", new DeviceSearch { Reason = "health" }),
        ("devices: type:pi3-arm64 tag:site=site-07", new DeviceSearch { DeviceType = "pi3-arm64", Attributes = [("tags", "site", "site-07")] }),
    };
    Console.WriteLine($"{devices} devices; {runs} runs a search after 3 warm-ups; the page's store work: search, then the page's branches and rollout rows");
    Console.WriteLine($"{"search",-48} {"p50",9} {"p95",9} {"shown",6} {"count",10}");
    foreach (var (name, search) in searches)
    {
        var times = new List<double>();
        DeviceSearchPage? page = null;
        for (var run = 0; run < runs + 3; run++)
        {
            var clock = Stopwatch.StartNew();
            page = await store.SearchDevicesAsync(search with { PerPage = 50 }, CancellationToken.None);
            var ids = page.Devices.Select(d => d.Id).ToList();
            if (ids.Count > 0)
            {
                await store.GetBranchesAsync(ids, CancellationToken.None);
                await store.GetRolloutDevicesAsync(ids, CancellationToken.None);
            }

            if (run >= 3)
            {
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
        }

        times.Sort();
        var count = page!.TotalIsLowerBound ? $">={page.Total}" : page.Total.ToString(CultureInfo.InvariantCulture);
        Console.WriteLine(FormattableString.Invariant($"{name,-48} {P(50),7:F1}ms {P(95),7:F1}ms {page.Devices.Count,6} {count,10}"));
        Console.WriteLine(FormattableString.Invariant($"result search=\"{name}\" p50_ms={P(50):F2} p95_ms={P(95):F2}"));

        double P(int percentile) => times[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * times.Count) - 1, 0, times.Count - 1)];
    }

    return 0;

    static T Scalar<T>(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (T)Convert.ChangeType(command.ExecuteScalar()!, typeof(T), CultureInfo.InvariantCulture);
    }
}
