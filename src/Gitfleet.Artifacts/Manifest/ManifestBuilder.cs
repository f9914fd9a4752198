using System.Text;

namespace Gitfleet.Artifacts.Manifest;

/// <summary>
/// Builds <c>manifest</c> text in mender-artifact's order: payload files, then the header, then <c>version</c>.
/// </summary>
internal sealed class ManifestBuilder
{
    private readonly StringBuilder text = new();
    private readonly HashSet<string> names = new(StringComparer.Ordinal);

    public ManifestBuilder Add(string name, string sha256Hex)
    {
        if (!names.Add(name))
        {
            throw new ArgumentException($"the manifest already lists '{name}'", nameof(name));
        }

        text.Append(sha256Hex).Append("  ").Append(name).Append('\n');
        return this;
    }

    public byte[] ToBytes() => Encoding.UTF8.GetBytes(text.ToString());
}
