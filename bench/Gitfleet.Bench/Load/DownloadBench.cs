using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Gitfleet.Artifacts;
using Gitfleet.Simulator.Protocol;

namespace Gitfleet.Bench.Load;

/// <summary>
/// Artifact download throughput through a signed link: whole downloads, downloads resumed at the middle with HTTP
/// Range (the resumed half is timed, and the two halves must hash like the file), and several downloads at once.
/// The artifact (a rootfs image of incompressible data, stored uncompressed) is written once into the work dir.
/// </summary>
internal static class DownloadBench
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var server = new Uri(args.Text("server"));
        var sizeMiB = args.Int("size-mib", 256);
        var runs = args.Int("runs", 5);
        var parallel = args.Int("parallel", 4);
        var serverPid = args.Optional("server-pid") is { } pid ? int.Parse(pid, CultureInfo.InvariantCulture) : (int?)null;
        var name = $"bench-download-{sizeMiB}m";
        var path = Path.Combine(args.Text("work"), name + ".mender");
        await WriteArtifactAsync(path, name, sizeMiB);
        var size = new FileInfo(path).Length;
        var expected = await HashFileAsync(path);

        using var http = ServerHttpClient.Create(server, parallel + 2, args.Text("ca"), insecure: false, TimeSpan.FromMinutes(10));
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", args.Text("token"));
        var id = await UploadOnceAsync(http, path, name);
        var link = (await http.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/artifacts/{id}/download")).GetProperty("uri").GetString()!;
        using var anonymous = ServerHttpClient.Create(server, parallel + 2, args.Text("ca"), insecure: false, TimeSpan.FromMinutes(10));

        var full = new List<double>();
        var cpuBefore = CpuSample.Take(serverPid);
        for (var run = 0; run < runs; run++)
        {
            var watch = Stopwatch.StartNew();
            var (bytes, _) = await DownloadAsync(anonymous, link, 0, null, hash: false);
            full.Add(bytes / 1048576.0 / watch.Elapsed.TotalSeconds);
        }

        var cpuAfter = CpuSample.Take(serverPid);
        var serverCpuPerGiB = (cpuAfter.Server - cpuBefore.Server).TotalSeconds / (runs * size / 1073741824.0);

        var resumed = new List<double>();
        var verified = true;
        for (var run = 0; run < runs; run++)
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var half = size / 2;
            var (first, _) = await DownloadAsync(anonymous, link, 0, half, hash: run == 0, hash);
            var watch = Stopwatch.StartNew();
            var (rest, status) = await DownloadAsync(anonymous, link, first, null, hash: run == 0, hash);
            resumed.Add(rest / 1048576.0 / watch.Elapsed.TotalSeconds);
            verified &= status == 206 && first + rest == size && (run > 0 || hash.GetHashAndReset().AsSpan().SequenceEqual(expected));
        }

        var parallelWatch = Stopwatch.StartNew();
        var totals = await Task.WhenAll(Enumerable.Range(0, parallel).Select(_ => DownloadAsync(anonymous, link, 0, null, hash: false)));
        var aggregate = totals.Sum(t => t.Bytes) / 1048576.0 / parallelWatch.Elapsed.TotalSeconds;

        var (rss, peak) = serverPid is { } p ? CpuSample.Memory(p) : (0, 0);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{size / 1048576.0:F0} MiB artifact, {runs} runs: full {Median(full):F0} MiB/s (min {full.Min():F0}, max {full.Max():F0}); resumed half (Range) {Median(resumed):F0} MiB/s, "
            + $"bytes {(verified ? "verified (206, SHA-256 of both halves = file)" : "NOT VERIFIED")}; {parallel} at once {aggregate:F0} MiB/s in total; "
            + $"server CPU {serverCpuPerGiB:F2} s per GiB served; server RSS {rss:F0} MiB (peak {peak:F0})"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"result full_mib_s={Median(full):F0} resumed_mib_s={Median(resumed):F0} parallel_mib_s={aggregate:F0} verified={verified.ToString().ToLowerInvariant()} server_cpu_s_per_gib={serverCpuPerGiB:F2} rss_mib={rss:F0} peak_mib={peak:F0}"));
        return verified ? 0 : 1;
    }

    /// <summary>GETs the link from <paramref name="offset"/>, discarding the bytes (or hashing them), stopping after <paramref name="stopAfter"/>.</summary>
    private static async Task<(long Bytes, int Status)> DownloadAsync(HttpClient http, string link, long offset, long? stopAfter, bool hash, IncrementalHash? into = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, link);
        if (offset > 0)
        {
            request.Headers.Range = new RangeHeaderValue(offset, null);
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[1024 * 1024];
        long total = 0;
        while (stopAfter is null || total < stopAfter)
        {
            var n = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, (stopAfter ?? long.MaxValue) - total)));
            if (n == 0)
            {
                break;
            }

            if (hash)
            {
                into!.AppendData(buffer, 0, n);
            }

            total += n;
        }

        return (total, (int)response.StatusCode);
    }

    private static async Task<string> UploadOnceAsync(HttpClient http, string path, string name)
    {
        var existing = await http.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/artifacts?name={name}");
        if (existing.GetArrayLength() > 0)
        {
            return existing[0].GetProperty("id").GetString()!;
        }

        var watch = Stopwatch.StartNew();
        await using var file = File.OpenRead(path);
        using var form = new MultipartFormDataContent
        {
            { new StringContent(name), "description" },
            { new StringContent(file.Length.ToString(CultureInfo.InvariantCulture)), "size" },
            { new StreamContent(file, 1024 * 1024), "artifact", name + ".mender" },
        };
        using var response = await http.PostAsync("/api/management/v1/deployments/artifacts", form);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"upload failed: HTTP {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"upload (parse, verify, store): {new FileInfo(path).Length / 1048576.0 / watch.Elapsed.TotalSeconds:F0} MiB/s"));
        return response.Headers.Location!.ToString().Split('/')[^1];
    }

    private static async Task WriteArtifactAsync(string path, string name, int sizeMiB)
    {
        if (File.Exists(path))
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp";
        var image = path + ".rootfs.ext4";
        await using (var payload = File.Create(image))
        {
            // Incompressible and the same on every run.
            var random = new Random(42);
            var chunk = new byte[1024 * 1024];
            for (var i = 0; i < sizeMiB; i++)
            {
                random.NextBytes(chunk);
                await payload.WriteAsync(chunk);
            }
        }

        await using (var output = File.Create(temporary))
        {
            await ArtifactWriter.WriteRootfsImageAsync(output, new RootfsImageDefinition
            {
                Name = name,
                DeviceTypes = ["pi4-v3-arm64"],
                Image = ArtifactFileSource.FromFile(image, "rootfs.ext4"),
            }, new ArtifactWriterOptions { DataCompression = CompressionLevel.NoCompression });
        }

        File.Delete(image);
        File.Move(temporary, path, overwrite: true);
    }

    private static async Task<byte[]> HashFileAsync(string path)
    {
        await using var file = File.OpenRead(path);
        return await SHA256.HashDataAsync(file);
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
