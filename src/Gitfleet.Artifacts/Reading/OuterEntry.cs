using System.Globalization;
using Gitfleet.Artifacts.Compression;

namespace Gitfleet.Artifacts.Reading;

/// <summary>The kinds of entries in the outer tar of a version 3 artifact, in the order the format requires.</summary>
internal enum OuterEntryKind
{
    Version,
    Manifest,
    ManifestSignature,
    ManifestAugment,
    Header,
    HeaderAugment,
    Data,
}

/// <summary>One entry of the outer tar, classified by name.</summary>
internal sealed record OuterEntry(OuterEntryKind Kind, string Name, PayloadCompression Compression, int PayloadIndex)
{
    public const string VersionName = "version";
    public const string ManifestName = "manifest";
    public const string ManifestSignatureName = "manifest.sig";
    public const string ManifestAugmentName = "manifest-augment";

    private const string AllowedEntries =
        "version, manifest, manifest.sig, manifest-augment, header.tar[.gz], header-augment.tar[.gz] and data/NNNN.tar[.gz]";

    /// <summary>Classifies an entry name or throws naming the unexpected entry.</summary>
    public static OuterEntry Classify(string name)
    {
        switch (name)
        {
            case VersionName:
                return new OuterEntry(OuterEntryKind.Version, name, PayloadCompression.None, -1);
            case ManifestName:
                return new OuterEntry(OuterEntryKind.Manifest, name, PayloadCompression.None, -1);
            case ManifestSignatureName:
                return new OuterEntry(OuterEntryKind.ManifestSignature, name, PayloadCompression.None, -1);
            case ManifestAugmentName:
                return new OuterEntry(OuterEntryKind.ManifestAugment, name, PayloadCompression.None, -1);
        }

        if (PayloadCompressions.TryParseTarName(name, out var stem, out var compression))
        {
            if (stem == "header")
            {
                return new OuterEntry(OuterEntryKind.Header, name, compression, -1);
            }

            if (stem == "header-augment")
            {
                return new OuterEntry(OuterEntryKind.HeaderAugment, name, compression, -1);
            }

            if (TryParsePayloadIndex(stem, "data/", out var index))
            {
                return new OuterEntry(OuterEntryKind.Data, name, compression, index);
            }
        }

        throw new ArtifactFormatException(
            $"unexpected entry '{name}' in the artifact; a Mender artifact holds only {AllowedEntries}");
    }

    /// <summary>Parses "&lt;prefix&gt;NNNN" (exactly four digits) into NNNN.</summary>
    public static bool TryParsePayloadIndex(string value, string prefix, out int index)
    {
        index = -1;
        if (!value.StartsWith(prefix, StringComparison.Ordinal) || value.Length != prefix.Length + 4)
        {
            return false;
        }

        var digits = value.AsSpan(prefix.Length);
        return !digits.ContainsAnyExceptInRange('0', '9')
            && int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out index);
    }

    public static string PayloadDirectory(int index) => string.Create(CultureInfo.InvariantCulture, $"{index:D4}");
}
