using System.Text.Json;

namespace Gitfleet.Server.Reconcile.Webhooks;

/// <summary>The branch a push webhook names (GitHub, Gitea and GitLab all send <c>"ref": "refs/heads/&lt;branch&gt;"</c>).</summary>
internal static class PushEvent
{
    private const string HeadsPrefix = "refs/heads/";

    /// <summary>The pushed branch, or null for a tag push or a payload without a ref.</summary>
    public static string? Branch(ReadOnlySpan<byte> payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload.ToArray());
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("ref", out var reference)
                && reference.ValueKind == JsonValueKind.String
                && reference.GetString() is { } text
                && text.StartsWith(HeadsPrefix, StringComparison.Ordinal)
                    ? text[HeadsPrefix.Length..]
                    : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
