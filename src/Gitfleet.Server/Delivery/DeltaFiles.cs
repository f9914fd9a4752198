using Gitfleet.Server.Hosting;

namespace Gitfleet.Server.Delivery;

/// <summary>
/// Where delta work lives on the artifact storage (shared by every server replica): delta artifacts in
/// <c>artifacts/deltas/</c> (served like full artifacts), and the images unpacked from full artifacts in
/// <c>artifacts/cache/images/</c> (work files, never served), each made once per artifact.
/// </summary>
internal sealed class DeltaFiles
{
    public DeltaFiles(DataDirectory data)
    {
        ArgumentNullException.ThrowIfNull(data);
        DeltasDirectory = Path.Combine(data.ArtifactsDirectory, "deltas");
        ImagesDirectory = Path.Combine(data.ArtifactsDirectory, "cache", "images");
        Directory.CreateDirectory(DeltasDirectory);
        Directory.CreateDirectory(ImagesDirectory);
    }

    public string DeltasDirectory { get; }

    public string ImagesDirectory { get; }

    /// <summary>The path of a delta artifact relative to the artifact directory (what an offloaded link names).</summary>
    public static string RelativeDeltaPath(string fileName) => "deltas/" + fileName;

    public string DeltaPath(string fileName) => Path.Combine(DeltasDirectory, fileName);

    public string ImagePath(string artifactId) => Path.Combine(ImagesDirectory, artifactId + ".img");

    /// <summary>A unique temp path beside <paramref name="path"/> (renamed over it when complete).</summary>
    public static string TempFor(string path) => $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
}
