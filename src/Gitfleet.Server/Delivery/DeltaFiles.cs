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

    /// <summary>A payload file of an artifact, unpacked: <c>cache/images/&lt;artifact id&gt;.&lt;file name&gt;</c>.</summary>
    public string CachedFilePath(string artifactId, string fileName) => Path.Combine(ImagesDirectory, artifactId + "." + fileName);

    /// <summary>Removes every unpacked file of an artifact (it was deleted).</summary>
    public void ForgetArtifact(string artifactId)
    {
        foreach (var file in Directory.EnumerateFiles(ImagesDirectory, artifactId + ".*"))
        {
            File.Delete(file);
        }
    }

    /// <summary>A unique temp path beside <paramref name="path"/> (renamed over it when complete).</summary>
    public static string TempFor(string path) => $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
}
