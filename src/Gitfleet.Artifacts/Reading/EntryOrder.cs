namespace Gitfleet.Artifacts.Reading;

/// <summary>
/// Enforces the order of the outer tar: version, manifest, [manifest.sig], [manifest-augment], header.tar*,
/// [header-augment.tar*], data/0000.tar*, data/0001.tar*, ... Each violation gets a message that names the
/// offending entry and what was expected.
/// </summary>
internal sealed class EntryOrder
{
    private readonly HashSet<OuterEntryKind> seen = [];
    private OuterEntry? last;

    /// <summary>The name of the last accepted entry, for messages ("after 'manifest'").</summary>
    public string? LastName => last?.Name;

    /// <summary>Checked before the name is classified, so that any other tar archive gets this message.</summary>
    public void RequireVersionFirst(string name)
    {
        if (last is null && name != OuterEntry.VersionName)
        {
            throw new ArtifactFormatException($"the first entry of a Mender artifact must be 'version', but it is '{name}'");
        }
    }

    public void Accept(OuterEntry entry)
    {
        RequireVersionFirst(entry.Name);

        if (entry.Kind == OuterEntryKind.Data)
        {
            AcceptData(entry);
        }
        else
        {
            if (seen.Contains(entry.Kind))
            {
                throw new ArtifactFormatException($"duplicate entry '{entry.Name}' in the artifact");
            }

            if (last is not null && entry.Kind < last.Kind)
            {
                throw new ArtifactFormatException(
                    $"entry '{entry.Name}' is out of order: it must come before '{last.Name}'");
            }

            RequirePredecessors(entry);
        }

        seen.Add(entry.Kind);
        last = entry;
    }

    /// <summary>Called at the end of the archive: every required entry must have been there.</summary>
    public void Complete()
    {
        if (!seen.Contains(OuterEntryKind.Manifest))
        {
            throw new ArtifactFormatException($"the artifact ends after '{LastName}' without a 'manifest' (truncated?)");
        }

        if (!seen.Contains(OuterEntryKind.Header))
        {
            throw new ArtifactFormatException(
                $"the artifact ends after '{LastName}' without 'header.tar.gz' (truncated?)");
        }

        if (seen.Contains(OuterEntryKind.ManifestAugment) && !seen.Contains(OuterEntryKind.HeaderAugment))
        {
            throw new ArtifactFormatException("the artifact has a 'manifest-augment' but no 'header-augment.tar.gz'");
        }
    }

    private void RequirePredecessors(OuterEntry entry)
    {
        if (entry.Kind > OuterEntryKind.Manifest && !seen.Contains(OuterEntryKind.Manifest))
        {
            throw new ArtifactFormatException(
                $"the artifact has no 'manifest': expected it after 'version', but found '{entry.Name}'");
        }

        if (entry.Kind == OuterEntryKind.HeaderAugment)
        {
            if (!seen.Contains(OuterEntryKind.Header))
            {
                throw new ArtifactFormatException($"'{entry.Name}' comes before 'header.tar.gz'");
            }

            if (!seen.Contains(OuterEntryKind.ManifestAugment))
            {
                throw new ArtifactFormatException($"'{entry.Name}' is present but the artifact has no 'manifest-augment'");
            }
        }
    }

    private void AcceptData(OuterEntry entry)
    {
        if (!seen.Contains(OuterEntryKind.Manifest))
        {
            throw new ArtifactFormatException(
                $"the artifact has no 'manifest': expected it after 'version', but found '{entry.Name}'");
        }

        if (!seen.Contains(OuterEntryKind.Header))
        {
            throw new ArtifactFormatException(
                $"entry '{entry.Name}' is out of order: the payload data must come after 'header.tar.gz'");
        }

        if (seen.Contains(OuterEntryKind.ManifestAugment) && !seen.Contains(OuterEntryKind.HeaderAugment))
        {
            throw new ArtifactFormatException(
                $"the artifact has a 'manifest-augment' but no 'header-augment.tar.gz' before '{entry.Name}'");
        }

        if (last is { Kind: OuterEntryKind.Data } previous)
        {
            if (entry.PayloadIndex == previous.PayloadIndex)
            {
                throw new ArtifactFormatException(
                    $"duplicate entry '{entry.Name}': payload {entry.PayloadIndex} already has '{previous.Name}'");
            }

            if (entry.PayloadIndex < previous.PayloadIndex)
            {
                throw new ArtifactFormatException(
                    $"entry '{entry.Name}' is out of order: it must come before '{previous.Name}'");
            }
        }
    }
}
