using System.Security.Cryptography;
using Gitfleet.TestSupport;

namespace Gitfleet.Artifacts.Tests.Support;

/// <summary>A temp directory in which tests write input files and artifacts, with mender-artifact and our reader at hand.</summary>
internal sealed class ArtifactWorkspace : IDisposable
{
    private readonly TempDirectory directory = new("gitfleet-artifacts");

    public string Path => directory.Path;

    public string Combine(string file) => directory.Combine(file);

    public string WriteText(string file, string content) => directory.Write(file, content);

    /// <summary>Writes <paramref name="size"/> pseudo-random bytes (fixed seed) and returns their SHA-256.</summary>
    public string WriteRandom(string file, int size, int seed = 1)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        File.WriteAllBytes(Combine(file), bytes);
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    /// <summary>Runs <c>mender-artifact write &lt;arguments&gt; -o &lt;output&gt;</c> and returns the artifact path.</summary>
    public string MenderArtifactWrite(string output, params string[] arguments)
    {
        Tools.MenderArtifact(Path, ["write", .. arguments, "-o", output]);
        return Combine(output);
    }

    public async Task<ArtifactInfo> ReadAsync(string file, ArtifactReaderOptions? options = null)
    {
        await using var stream = File.OpenRead(Combine(file));
        return await ArtifactReader.ReadAsync(new NonSeekableStream(stream), options ?? ArtifactReaderOptions.Default, CancellationToken.None);
    }

    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    public void Dispose() => directory.Dispose();
}
