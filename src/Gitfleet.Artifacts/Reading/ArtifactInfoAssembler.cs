namespace Gitfleet.Artifacts.Reading;

/// <summary>Merges header-info and the per-payload type-info into <see cref="ArtifactInfo"/>, as Mender's server does.</summary>
internal static class ArtifactInfoAssembler
{
    public static ArtifactInfo Assemble(
        HeaderArchive header,
        IReadOnlyDictionary<int, IReadOnlyList<ArtifactFile>> files,
        bool signed,
        bool signatureVerified,
        long size,
        string checksum)
    {
        var info = header.Info!;
        var provides = new Dictionary<string, string>(StringComparer.Ordinal) { ["artifact_name"] = info.ArtifactName };
        if (info.ArtifactGroup is not null)
        {
            provides["artifact_group"] = info.ArtifactGroup;
        }

        var depends = new Dictionary<string, string>(StringComparer.Ordinal);
        if (info.DependsOnArtifactNames.Count > 0)
        {
            depends["artifact_name"] = string.Join(',', info.DependsOnArtifactNames);
        }

        if (info.DependsOnGroups.Count > 0)
        {
            depends["artifact_group"] = string.Join(',', info.DependsOnGroups);
        }

        var payloads = new List<ArtifactPayload>(header.Payloads.Count);
        var clears = new List<string>();
        for (var i = 0; i < header.Payloads.Count; i++)
        {
            var typeInfo = header.Payloads[i].TypeInfo;
            var where = $"headers/{OuterEntry.PayloadDirectory(i)}/type-info";
            Merge(provides, typeInfo.Provides, "artifact_provides", where);
            Merge(depends, typeInfo.Depends.Where(d => d.Key != "device_type"), "artifact_depends", where);
            clears.AddRange(typeInfo.ClearsProvides ?? []);
            payloads.Add(new ArtifactPayload(info.PayloadTypes[i], files.GetValueOrDefault(i) ?? [])
            {
                Provides = typeInfo.Provides,
                Depends = typeInfo.Depends,
                ClearsProvides = typeInfo.ClearsProvides,
                MetaData = header.Payloads[i].MetaData,
            });
        }

        return new ArtifactInfo
        {
            Name = info.ArtifactName,
            DeviceTypesCompatible = info.DeviceTypes,
            ArtifactGroup = info.ArtifactGroup,
            Provides = provides,
            Depends = depends,
            ClearsProvides = clears,
            ClearsAllProvides = header.Payloads.Any(p => p.TypeInfo.ClearsProvides is null),
            Payloads = payloads,
            StateScripts = header.Scripts,
            Signed = signed,
            SignatureVerified = signatureVerified,
            Size = size,
            Checksum = checksum,
        };
    }

    private static void Merge(
        Dictionary<string, string> target, IEnumerable<KeyValuePair<string, string>> source, string field, string where)
    {
        foreach (var (key, value) in source)
        {
            if (!target.TryAdd(key, value))
            {
                throw new ArtifactFormatException(
                    $"{where}: '{field}.{key}' conflicts with the same key in header-info or another payload");
            }
        }
    }
}
