// Figures for Gitfleet.Artifacts: `dotnet run -c Release bench/artifacts.cs [-- --quick]`.
// Prints timings and allocations; it asserts nothing (targets are in docs/artifacts.md). --quick skips the
// 256 MiB write/read round.
#:property PublishAot=false
#:property Configuration=Release
#:project ../src/Gitfleet.Artifacts/Gitfleet.Artifacts.csproj
using System.Diagnostics;
using System.IO.Compression;
using System.Security.Cryptography;
using Gitfleet.Artifacts;
using Gitfleet.Artifacts.Signing;

var configuration = new Dictionary<string, string>
{
    ["timezone"] = "Europe/Zurich",
    ["kiosk_url"] = "https://example.com/kiosk",
    ["hostname"] = "pi4-lobby-01",
    ["wifi_ssid"] = "fleet",
};

Measure("configuration artifact, unsigned", 20_000, () => ArtifactWriter.CreateConfigurationArtifact("config-3f2a9c1", ["raspberrypi4"], configuration));
using (var rsa = RSA.Create(3072))
using (var key = ArtifactSigningKey.FromPem(rsa.ExportRSAPrivateKeyPem()))
{
    Measure("configuration artifact, RSA-3072 signed", 500, () => ArtifactWriter.CreateConfigurationArtifact("config-3f2a9c1", ["raspberrypi4"], configuration, key));
}

var small = ArtifactWriter.CreateConfigurationArtifact("config-3f2a9c1", ["raspberrypi4"], configuration);
Measure("read configuration artifact", 20_000, () => ArtifactReader.ReadAsync(new MemoryStream(small)).GetAwaiter().GetResult());

var ed = (Public: Convert.FromHexString("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"),
    Signature: Convert.FromHexString("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"));
Measure("Ed25519 verify", 200, () => Ed25519.Verify(ed.Public, [0x72], ed.Signature));

if (args.Contains("--quick"))
{
    return;
}

const long Size = 256L * 1024 * 1024;
var path = Path.Combine(Path.GetTempPath(), $"gitfleet-bench-{Guid.NewGuid():N}.mender");
try
{
    foreach (var level in new[] { CompressionLevel.Optimal, CompressionLevel.NoCompression })
    {
        var watch = Stopwatch.StartNew();
        await using (var file = File.Create(path))
        {
            await ArtifactWriter.WriteModuleImageAsync(file, new ModuleImageDefinition
            {
                Name = "bench",
                DeviceTypes = ["pi4"],
                Type = "single-file",
                Files = [ArtifactFileSource.FromStream("image.bin", _ => ValueTask.FromResult<Stream>(new CompressibleStream(Size)))],
                ClearsProvides = ["rootfs-image.single-file.*"],
            }, new ArtifactWriterOptions { DataCompression = level });
        }

        var written = watch.Elapsed;
        var before = GC.GetTotalAllocatedBytes(precise: true);
        watch.Restart();
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous))
        {
            await ArtifactReader.ReadAsync(file);
        }

        var read = watch.Elapsed;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        var artifactSize = new FileInfo(path).Length;
        Console.WriteLine($"{Size / 1048576} MiB payload, gzip {level}: artifact {artifactSize / 1048576.0:F1} MiB, "
            + $"write {Size / 1048576.0 / written.TotalSeconds:F0} MiB/s, read+verify {Size / 1048576.0 / read.TotalSeconds:F0} MiB/s, "
            + $"read allocated {allocated / 1024} KiB");
    }
}
finally
{
    File.Delete(path);
}

static void Measure(string name, int iterations, Action action)
{
    for (var i = 0; i < Math.Min(iterations, 1000); i++)
    {
        action();
    }

    var before = GC.GetAllocatedBytesForCurrentThread();
    var watch = Stopwatch.StartNew();
    for (var i = 0; i < iterations; i++)
    {
        action();
    }

    watch.Stop();
    var allocated = (GC.GetAllocatedBytesForCurrentThread() - before) / iterations;
    Console.WriteLine($"{name}: {watch.Elapsed.TotalMicroseconds / iterations:F1} µs, {allocated} B allocated per call");
}

/// <summary>Text-like content that gzip compresses about 4:1, generated on the fly.</summary>
internal sealed class CompressibleStream(long length) : Stream
{
    private static readonly byte[] Words = "the quick brown fox jumps over the lazy dog 0123456789 fleet device artifact "u8.ToArray();
    private long position;
    private uint state = 2463534242;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var count = (int)Math.Min(buffer.Length, length - position);
        for (var i = 0; i < count; i++)
        {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            buffer[i] = (state & 3) == 0 ? (byte)(state >> 8) : Words[(position + i) % Words.Length];
        }

        position += count;
        return count;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
