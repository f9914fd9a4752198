using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Gitfleet.Simulator.Devices;
using Gitfleet.Simulator.Protocol;

namespace Gitfleet.Bench.Load;

/// <summary>
/// Registers simulated devices (the simulator's identities and keys) the way a large fleet joins: preauthorize each
/// identity + key through the management API, then one signed auth request per device. Tokens go to a file, so a
/// later run against the same data dir skips devices registered already. Prints both rates.
/// </summary>
internal static class Registration
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var server = new Uri(args.Text("server"));
        var devices = args.Int("devices");
        var prefix = args.Optional("prefix") ?? "bench";
        var tokensFile = args.Text("tokens");
        var concurrency = args.Int("concurrency", 32);
        var known = LoadTokens(tokensFile);
        var missing = Enumerable.Range(0, devices).Where(i => !known.ContainsKey(i)).ToList();
        if (missing.Count == 0)
        {
            Console.WriteLine($"register: all {devices} devices registered already ({tokensFile})");
            return 0;
        }

        using var http = ServerHttpClient.Create(server, concurrency, args.Text("ca"), insecure: false, TimeSpan.FromSeconds(120));
        var api = new DeviceApiClient(http);
        var token = args.Text("token");
        var failures = 0;

        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(missing, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (index, cancellationToken) =>
        {
            var identity = DeviceIdentity.Generated(prefix, index);
            var response = await api.PreauthorizeAsync(token, identity, DeviceKeys.PublicKeyPem(DeviceIdentity.IdData(identity)), cancellationToken);
            if (response.Status is not (201 or 409))
            {
                Interlocked.Increment(ref failures);
            }
        });
        var preauthorize = watch.Elapsed;

        var tokens = new ConcurrentBag<(int Index, string Token)>();
        watch.Restart();
        await Parallel.ForEachAsync(missing, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (index, cancellationToken) =>
        {
            var response = await api.AuthenticateAsync(DeviceIdentity.IdData(DeviceIdentity.Generated(prefix, index)), cancellationToken);
            if (response.Status == 200 && response.Body is { Length: > 0 } deviceToken)
            {
                tokens.Add((index, deviceToken));
            }
            else
            {
                Interlocked.Increment(ref failures);
            }
        });
        var authenticate = watch.Elapsed;

        await File.AppendAllLinesAsync(tokensFile, tokens.OrderBy(t => t.Index).Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Index} {t.Token}")));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"register: {missing.Count} devices at concurrency {concurrency}: preauthorize {missing.Count / preauthorize.TotalSeconds:F0}/s ({preauthorize.TotalSeconds:F1} s), "
            + $"auth requests {missing.Count / authenticate.TotalSeconds:F0}/s ({authenticate.TotalSeconds:F1} s), {failures} failures"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"result preauthorize_per_s={missing.Count / preauthorize.TotalSeconds:F0} auth_per_s={missing.Count / authenticate.TotalSeconds:F0} failures={failures}"));
        return failures == 0 ? 0 : 1;
    }

    public static Dictionary<int, string> LoadTokens(string file)
    {
        var tokens = new Dictionary<int, string>();
        if (File.Exists(file))
        {
            foreach (var line in File.ReadLines(file))
            {
                var space = line.IndexOf(' ', StringComparison.Ordinal);
                if (space > 0)
                {
                    tokens[int.Parse(line.AsSpan(0, space), CultureInfo.InvariantCulture)] = line[(space + 1)..];
                }
            }
        }

        return tokens;
    }
}
