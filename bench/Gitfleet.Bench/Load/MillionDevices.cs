using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gitfleet.Core.Facts;
using Gitfleet.Server.Security;
using Gitfleet.Storage.Model;
using Gitfleet.Storage.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace Gitfleet.Bench.Load;

/// <summary>
/// bench/million.sh's fleet: N accepted devices written straight into a PostgreSQL store by binary COPY, with the
/// rows an accepted device has after its auth request, its first inventory PUT and first check-in (the device
/// accepted, its identity as an attribute, an ECDSA P-256 key as the accepted auth set, its inventory of 18
/// attributes (MillionInventory) with device_type, artifact_name and the inventory's digest on the device row, the
/// rootfs-image.version its check-ins provide, a last check-in), and a device token for each, minted with the cluster's token signing key from the store's
/// shared secrets (the key every replica signs and validates with). Registering a million devices through the API
/// takes about an hour; this takes minutes. The store's own migrations create the schema first.
/// Two shortcuts, neither seen by a check-in: the devices share a pool of keys (a key per device cost the busy
/// machine half the preparation; the hot path never reads a key), and the change feed's row triggers are off during
/// the COPY (session_replication_role = replica; the user that initdb made is a superuser): one statement per batch
/// then writes the change-log rows the triggers would have written ('device', id), so the feed holds the same.
/// The three tables' indexes are dropped for the COPY and built again after it (BulkIndexes): the same indexes,
/// built by sorting instead of 20 million random inserts into B-trees.
/// </summary>
internal static class MillionDevices
{
    /// <summary>The name under which the replicas keep the token signing key (Gitfleet.Server.Cluster.SharedSecrets).</summary>
    private const string TokenKeyName = "token-signing-key";
    private const int Batch = 50_000;
    private const int KeyPool = 1024;
    private static readonly string[] Tables = ["devices", "auth_sets", "attributes"];

    public static async Task<int> PrepareAsync(BenchArgs args)
    {
        var devices = args.Int("devices");
        var tokensFile = args.Text("tokens");
        var prefix = args.Optional("prefix") ?? "million";
        var lifetime = TimeSpan.FromDays(args.Int("token-days", 30));
        var url = new Uri(args.Text("store"));
        var password = Environment.GetEnvironmentVariable("GITFLEET_STORE_PASSWORD");
        var location = PostgresLocation.Parse(url.ToString(), password);
        var watch = Stopwatch.StartNew();
        byte[] key;
        await using (var store = await PostgresFleetStore.OpenAsync(location, CancellationToken.None))
        {
            key = Convert.FromBase64String(await store.GetOrAddSecretAsync(TokenKeyName, () => Convert.ToBase64String(RandomNumberGenerator.GetBytes(64)), CancellationToken.None));
        }

        var migrated = watch.Elapsed;
        var tokens = new TokenService(key, TimeProvider.System);
        // The store's own connection string is internal to it: the same parts of the same URL.
        var connectionString = new NpgsqlConnectionStringBuilder
        {
            Host = url.Host, Port = url.Port, Username = Uri.UnescapeDataString(url.UserInfo), Database = Uri.UnescapeDataString(url.AbsolutePath.TrimStart('/')), Password = password, CommandTimeout = 0,
        }.ConnectionString;
        await using var dataSource = new NpgsqlDataSourceBuilder(connectionString).Build();
        await using var connection = await dataSource.OpenConnectionAsync();
        var existing = Convert.ToInt64(await new NpgsqlCommand("SELECT COUNT(*) FROM devices", connection).ExecuteScalarAsync(), CultureInfo.InvariantCulture);
        if (existing != 0)
        {
            throw new ArgumentException($"the store holds {existing} devices already: prepare into an empty database");
        }

        var keys = Enumerable.Range(0, Math.Min(KeyPool, devices)).AsParallel().Select(_ =>
        {
            using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            return DevicePublicKey.Normalize(ecdsa.ExportSubjectPublicKeyInfoPem() + "\n");
        }).ToArray();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var indexes = await BulkIndexes.DropAsync(connection, Tables);
        var keysTime = TimeSpan.Zero;
        var copyTime = TimeSpan.Zero;
        await using var output = new StreamWriter(tokensFile, append: false, new UTF8Encoding(false), 1 << 20);
        for (var first = 0; first < devices; first += Batch)
        {
            var count = Math.Min(Batch, devices - first);
            var part = Stopwatch.StartNew();
            var rows = new Row[count];
            Parallel.For(0, count, i =>
            {
                var id = Guid.NewGuid().ToString();
                var serial = string.Create(CultureInfo.InvariantCulture, $"{prefix}-{first + i:D7}");
                var identity = new Dictionary<string, string> { ["serial"] = serial };
                var inventory = MillionInventory.For(first + i, serial);
                rows[i] = new Row(id, Guid.NewGuid().ToString(), identity, inventory, InventoryDigest.Text(InventoryDigest.Of(inventory)), keys[(first + i) % keys.Length], tokens.IssueDevice(id, lifetime));
            });
            keysTime += part.Elapsed;
            part.Restart();
            await CopyAsync(connection, rows, now);
            copyTime += part.Elapsed;
            foreach (var (row, i) in rows.Select((r, i) => (r, i)))
            {
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{first + i} {row.Token}"));
            }
        }

        await output.FlushAsync();
        var build = Stopwatch.StartNew();
        await BulkIndexes.CreateAsync(connection, indexes);
        var buildTime = build.Elapsed;
        var analyze = Stopwatch.StartNew();
        foreach (var table in Tables)
        {
            await using var vacuum = new NpgsqlCommand($"VACUUM ANALYZE {table}", connection) { CommandTimeout = 0 };
            await vacuum.ExecuteNonQueryAsync();
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"million-prepare: {devices} accepted devices ({keys.Length} keys): migrations {migrated.TotalSeconds:F1} s, rows and tokens {keysTime.TotalSeconds:F0} s ({devices / keysTime.TotalSeconds:F0}/s), "
            + $"COPY {copyTime.TotalSeconds:F0} s ({devices / copyTime.TotalSeconds:F0} devices/s), {indexes.Count} indexes built {buildTime.TotalSeconds:F0} s, VACUUM ANALYZE {analyze.Elapsed.TotalSeconds:F0} s"));
        return 0;
    }

    /// <summary>One batch in one transaction: the devices, their identity, inventory and provides attributes, their accepted auth sets.</summary>
    private static async Task CopyAsync(NpgsqlConnection connection, Row[] rows, long now)
    {
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var off = new NpgsqlCommand("SET LOCAL session_replication_role = replica", connection, transaction))
        {
            await off.ExecuteNonQueryAsync();
        }

        await using (var import = await connection.BeginBinaryImportAsync(
            "COPY devices (id, status, identity_json, identity_key, device_type, artifact_name, group_name, created_ms, updated_ms, last_checkin_ms, inventory_hash) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var row in rows)
            {
                await import.StartRowAsync();
                await import.WriteAsync(row.Id, NpgsqlDbType.Text);
                await import.WriteAsync(DeviceStatus.Accepted, NpgsqlDbType.Text);
                await import.WriteAsync(DeviceIdentity.Key(row.Identity), NpgsqlDbType.Jsonb);
                await import.WriteAsync(DeviceIdentity.Key(row.Identity), NpgsqlDbType.Text);
                await import.WriteAsync(MillionInventory.DeviceType, NpgsqlDbType.Text);
                await import.WriteAsync(MillionInventory.Image, NpgsqlDbType.Text);
                await import.WriteNullAsync();
                await import.WriteAsync(now, NpgsqlDbType.Bigint);
                await import.WriteAsync(now, NpgsqlDbType.Bigint);
                await import.WriteAsync(now, NpgsqlDbType.Bigint);
                await import.WriteAsync(row.InventoryHash, NpgsqlDbType.Text);
            }

            await import.CompleteAsync();
        }

        await using (var import = await connection.BeginBinaryImportAsync("COPY attributes (device_id, scope, name, value_json, updated_ms) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var row in rows)
            {
                var attributes = row.Identity.Select(p => (AttributeScope.Identity, p.Key, Json: JsonSerializer.Serialize(p.Value)))
                    .Concat(row.Inventory.Select(a => (AttributeScope.Inventory, a.Key, Json: a.Value.Count == 1 ? JsonSerializer.Serialize(a.Value[0]) : JsonSerializer.Serialize(a.Value))))
                    .Append((AttributeScope.Provides, DeviceFacts.RootfsImageVersionAttribute, JsonSerializer.Serialize(MillionInventory.Image)));
                foreach (var (scope, name, json) in attributes)
                {
                    await import.StartRowAsync();
                    await import.WriteAsync(row.Id, NpgsqlDbType.Text);
                    await import.WriteAsync(scope, NpgsqlDbType.Text);
                    await import.WriteAsync(name, NpgsqlDbType.Text);
                    await import.WriteAsync(json, NpgsqlDbType.Jsonb);
                    await import.WriteAsync(now, NpgsqlDbType.Bigint);
                }
            }

            await import.CompleteAsync();
        }

        await using (var import = await connection.BeginBinaryImportAsync("COPY auth_sets (id, device_id, pubkey, status, created_ms) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var row in rows)
            {
                await import.StartRowAsync();
                await import.WriteAsync(row.AuthSetId, NpgsqlDbType.Text);
                await import.WriteAsync(row.Id, NpgsqlDbType.Text);
                await import.WriteAsync(row.PublicKey, NpgsqlDbType.Text);
                await import.WriteAsync(DeviceStatus.Accepted, NpgsqlDbType.Text);
                await import.WriteAsync(now, NpgsqlDbType.Bigint);
            }

            await import.CompleteAsync();
        }

        // What the devices_inserted_or_deleted row trigger writes for each new device, in one statement (it takes the
        // cluster write lock first, as the trigger does; gitfleet_changes is the feed's channel, internal to the store).
        await using (var feed = new NpgsqlCommand(
            $"SELECT pg_advisory_xact_lock({PostgresFleetStore.WriteLockKey}); INSERT INTO change_log (kind, key) SELECT 'device', unnest(@ids); SELECT pg_notify('gitfleet_changes', '')",
            connection, transaction))
        {
            feed.Parameters.AddWithValue("ids", rows.Select(r => r.Id).ToArray());
            await feed.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
    }

    private sealed record Row(
        string Id, string AuthSetId, IReadOnlyDictionary<string, string> Identity, IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> Inventory, string InventoryHash,
        string PublicKey, string Token);
}
