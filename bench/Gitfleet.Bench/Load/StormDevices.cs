using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gitfleet.Storage.Sqlite;
using Sodium = NSec.Cryptography;

namespace Gitfleet.Bench.Load;

/// <summary>
/// bench/storm.sh's devices: N identities with real keys (ECDSA P-256, Ed25519 or RSA-3072), each with its auth
/// request body signed in advance (as mender-client 3.4 sends it: JSON + newline, signature over the raw bytes),
/// written to a file the storm generator replays at no signing cost; and the same devices preauthorized in a
/// server data dir through the store's own API (the state an operator or git's admission leaves). RSA devices
/// share a pool of keys: generating a million RSA-3072 keys would take days, and verifying costs the server the
/// same whichever key signed.
/// </summary>
internal static class StormDevices
{
    private const int RsaPool = 64;

    public static async Task<int> PrepareAsync(BenchArgs args)
    {
        var devices = args.Int("devices");
        var kind = args.Optional("keys") ?? "ecdsa";
        var output = args.Text("requests");
        var database = args.Text("database");
        var prefix = args.Optional("prefix") ?? "storm";
        var watch = Stopwatch.StartNew();
        var rsa = kind is "rsa" or "mixed" ? Enumerable.Range(0, RsaPool).AsParallel().Select(_ => RSA.Create(3072)).ToArray() : [];
        var lines = new string[devices];
        var keys = new string[devices];
        Parallel.For(0, devices, i =>
        {
            var serial = string.Create(CultureInfo.InvariantCulture, $"{prefix}-{i:D7}");
            var idData = JsonSerializer.Serialize(new Dictionary<string, string> { ["serial"] = serial });
            var keyKind = kind == "mixed" ? (i % 3) switch { 0 => "ecdsa", 1 => "ed25519", _ => "rsa" } : kind;
            var (pem, sign) = Key(keyKind, rsa, i);
            var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { id_data = idData, tenant_token = "", pubkey = pem }) + "\n");
            keys[i] = pem;
            lines[i] = Convert.ToBase64String(body) + "\t" + Convert.ToBase64String(sign(body));
        });
        await File.WriteAllLinesAsync(output, lines);
        var signed = watch.Elapsed;

        watch.Restart();
        await using (var store = await SqliteFleetStore.OpenAsync(database, CancellationToken.None))
        {
            await PreauthorizeAllAsync(store, prefix, keys);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"storm devices: {devices} ({kind} keys): signed auth requests in {signed.TotalSeconds:F0} s, preauthorized in {watch.Elapsed.TotalSeconds:F0} s"));
        foreach (var key in rsa)
        {
            key.Dispose();
        }

        return 0;
    }

    /// <summary>
    /// <c>storm-preauthorize</c>: the devices of a prepared requests file preauthorized in a PostgreSQL store (the
    /// <c>--store</c> URL; its password from GITFLEET_STORE_PASSWORD), as storm-prepare does in SQLite.
    /// </summary>
    public static async Task<int> PreauthorizeAsync(BenchArgs args)
    {
        var (identities, keys) = await ReadDevicesAsync(args.Text("requests"));
        var watch = Stopwatch.StartNew();
        var location = Gitfleet.Storage.Postgres.PostgresLocation.Parse(args.Text("store"), Environment.GetEnvironmentVariable("GITFLEET_STORE_PASSWORD"));
        await using (var store = await Gitfleet.Storage.Postgres.PostgresFleetStore.OpenAsync(location, CancellationToken.None))
        {
            await PreauthorizeAllAsync(store, i => identities[i], keys);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"storm devices: {keys.Length} preauthorized in PostgreSQL in {watch.Elapsed.TotalSeconds:F0} s"));
        return 0;
    }

    /// <summary>Each prepared device's identity and public key (PEM), read back from its signed auth request.</summary>
    public static async Task<(Dictionary<string, string>[] Identities, string[] Keys)> ReadDevicesAsync(string requests)
    {
        var lines = await File.ReadAllLinesAsync(requests);
        var identities = new Dictionary<string, string>[lines.Length];
        var keys = new string[lines.Length];
        Parallel.For(0, lines.Length, i =>
        {
            using var body = JsonDocument.Parse(Convert.FromBase64String(lines[i][..lines[i].IndexOf('\t', StringComparison.Ordinal)]));
            identities[i] = JsonSerializer.Deserialize<Dictionary<string, string>>(body.RootElement.GetProperty("id_data").GetString()!)!;
            keys[i] = body.RootElement.GetProperty("pubkey").GetString()!;
        });
        return (identities, keys);
    }

    private static Task PreauthorizeAllAsync(Gitfleet.Storage.IFleetStore store, string prefix, string[] keys) =>
        PreauthorizeAllAsync(store, i => new Dictionary<string, string> { ["serial"] = string.Create(CultureInfo.InvariantCulture, $"{prefix}-{i:D7}") }, keys);

    private static async Task PreauthorizeAllAsync(Gitfleet.Storage.IFleetStore store, Func<int, Dictionary<string, string>> identity, string[] keys)
    {
        // Enough writes in flight for the store's group-commit writer to fill its batches (4 made batches of 4: 200,000
        // devices took minutes of transactions).
        var now = DateTimeOffset.UtcNow;
        await Parallel.ForEachAsync(Enumerable.Range(0, keys.Length), new ParallelOptions { MaxDegreeOfParallelism = StormRegistration.WritesInFlight }, async (i, cancellationToken) =>
            await store.PreauthorizeAsync(Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), identity(i),
                Gitfleet.Server.Security.DevicePublicKey.Normalize(keys[i]), now, cancellationToken));
    }

    private static (string Pem, Func<byte[], byte[]> Sign) Key(string kind, RSA[] rsa, int index)
    {
        switch (kind)
        {
            case "rsa":
                var pooled = rsa[index % rsa.Length];
                return (pooled.ExportSubjectPublicKeyInfoPem() + "\n", data => pooled.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
            case "ed25519":
                var key = Sodium.Key.Create(Sodium.SignatureAlgorithm.Ed25519);
                var pem = Encoding.ASCII.GetString(key.PublicKey.Export(Sodium.KeyBlobFormat.PkixPublicKeyText)).TrimEnd() + "\n";
                return (pem, data =>
                {
                    using (key)
                    {
                        return Sodium.SignatureAlgorithm.Ed25519.Sign(key, data);
                    }
                });
            default:
                var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                return (ecdsa.ExportSubjectPublicKeyInfoPem() + "\n", data =>
                {
                    using (ecdsa)
                    {
                        return ecdsa.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
                    }
                });
        }
    }
}
