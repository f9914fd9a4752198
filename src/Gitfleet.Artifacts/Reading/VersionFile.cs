using System.Text.Json;
using Gitfleet.Artifacts.Json;

namespace Gitfleet.Artifacts.Reading;

/// <summary>The <c>version</c> entry: must be {"format":"mender","version":3}.</summary>
internal static class VersionFile
{
    public const int SupportedVersion = 3;

    /// <summary>The exact bytes mender-artifact writes (and Gitfleet writes).</summary>
    public static ReadOnlySpan<byte> Canonical => """{"format":"mender","version":3}"""u8;

    public static void Validate(byte[] content)
    {
        const string Expected = """expected {"format":"mender","version":3}""";
        JsonDocument document;
        try
        {
            document = JsonFields.Parse("'version'", content);
        }
        catch (ArtifactFormatException e)
        {
            throw new ArtifactFormatException($"not a Mender artifact: the 'version' entry is not valid JSON ({Expected})", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ArtifactFormatException($"not a Mender artifact: the 'version' entry is not a JSON object ({Expected})");
            }

            foreach (var property in root.EnumerateObject())
            {
                if (property.Name is not ("format" or "version"))
                {
                    throw new ArtifactFormatException($"the 'version' entry has an unknown field '{property.Name}' ({Expected})");
                }
            }

            if (!root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String
                || format.GetString() != "mender")
            {
                throw new ArtifactFormatException(
                    $"not a Mender artifact: the 'version' entry has format {(format.ValueKind == JsonValueKind.Undefined ? "(missing)" : format.GetRawText())} ({Expected})");
            }

            if (!root.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.Number
                || !version.TryGetInt32(out var number))
            {
                throw new ArtifactFormatException($"the 'version' entry has no numeric version ({Expected})");
            }

            if (number != SupportedVersion)
            {
                throw new ArtifactFormatException(
                    $"Mender artifact format version {number} is not supported; this server accepts version 3 "
                    + "(the default of mender-artifact 3.x: `mender-artifact write ... -v 3`)");
            }
        }
    }
}
