using System.IO.Compression;
using Gitfleet.Artifacts.Tests.Support;

namespace Gitfleet.Artifacts.Tests.Reading;

[CollectionDefinition(nameof(AllocationMeasurements), DisableParallelization = true)]
public sealed class AllocationMeasurements;

/// <summary>
/// A 200 MB artifact is read with bounded memory: the bytes allocated while reading it stay far below its size.
/// Runs alone (no parallel tests) because the allocation counter is process-wide.
/// </summary>
[Collection(nameof(AllocationMeasurements))]
public sealed class LargeArtifactTests : IDisposable
{
    private const long PayloadSize = 200L * 1024 * 1024;
    private const long AllocationBudget = 8L * 1024 * 1024;

    private readonly ArtifactWorkspace workspace = new();

    [Fact]
    public async Task A_200_MB_artifact_is_verified_without_buffering_it()
    {
        var path = workspace.Combine("large.mender");
        await using (var file = File.Create(path))
        {
            await ArtifactWriter.WriteModuleImageAsync(
                file,
                new ModuleImageDefinition
                {
                    Name = "large-1",
                    DeviceTypes = ["pi4"],
                    Type = "single-file",
                    Files = [ArtifactFileSource.FromStream("image.bin", _ => ValueTask.FromResult<Stream>(new GeneratedStream(PayloadSize)))],
                    ClearsProvides = ["rootfs-image.single-file.*"],
                },
                new ArtifactWriterOptions { DataCompression = CompressionLevel.NoCompression });
        }

        new FileInfo(path).Length.ShouldBeGreaterThan(PayloadSize);
        await ReadAsync(path); // warm up: JIT and static state are not what is measured

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var info = await ReadAsync(path);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        info.Payloads[0].Files.ShouldHaveSingleItem().Size.ShouldBe(PayloadSize);
        info.Size.ShouldBe(new FileInfo(path).Length);
        allocated.ShouldBeLessThan(AllocationBudget, $"reading {info.Size} bytes allocated {allocated} bytes");
    }

    public void Dispose() => workspace.Dispose();

    private static async Task<ArtifactInfo> ReadAsync(string path)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.Asynchronous);
        return await ArtifactReader.ReadAsync(new NonSeekableStream(file), ArtifactReaderOptions.Default, CancellationToken.None);
    }
}
