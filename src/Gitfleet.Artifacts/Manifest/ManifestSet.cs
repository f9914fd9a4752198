namespace Gitfleet.Artifacts.Manifest;

/// <summary>The manifest and the optional manifest-augment: a file's checksum may come from either.</summary>
internal sealed class ManifestSet
{
    private readonly List<ArtifactManifest> manifests = [];

    public ArtifactManifest? Main { get; private set; }

    public void Add(ArtifactManifest manifest)
    {
        Main ??= manifest;
        manifests.Add(manifest);
    }

    public bool Contains(string name) => manifests.Any(m => m.Contains(name));

    /// <summary>Verifies <paramref name="actualChecksum"/> against the manifest that lists <paramref name="name"/>.</summary>
    public void Verify(string name, string actualChecksum)
    {
        var manifest = manifests.FirstOrDefault(m => m.Contains(name))
            ?? throw new ArtifactFormatException($"'{name}' is in the artifact but no manifest lists it");
        manifest.Verify(name, actualChecksum);
    }

    /// <summary>Throws naming every listed file that the artifact did not contain.</summary>
    public void EnsureAllSeen()
    {
        var missing = manifests.SelectMany(m => m.Unseen()).ToList();
        if (missing.Count > 0)
        {
            throw new ArtifactFormatException(
                $"the manifest lists {string.Join(", ", missing.Select(m => $"'{m}'"))} but the artifact does not contain "
                + (missing.Count == 1 ? "it" : "them") + " (truncated or incomplete artifact?)");
        }
    }
}
