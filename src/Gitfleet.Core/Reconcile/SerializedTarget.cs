using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Gitfleet.Core.Reconcile;

/// <summary>
/// A branch target with the document the store keeps of it and that document's digest, made by one serialisation:
/// at 200,000 devices the document is tens of megabytes, so the engine (which compares digests to recognise an
/// unchanged target) and the store (which writes the document) share it instead of serialising it twice. Only
/// <see cref="Of"/> makes one, so the digest is always that of the document stored.
/// </summary>
public sealed class SerializedTarget
{
    private SerializedTarget(BranchTarget target, string json, string digest)
    {
        Target = target;
        Json = json;
        Digest = digest;
    }

    public BranchTarget Target { get; }

    /// <summary>The target as <see cref="ReconcileJson"/> writes it: what the store keeps.</summary>
    public string Json { get; }

    /// <summary>SHA-256 of <see cref="Json"/> (UTF-8), lower-case hex: the same digest means the same document.</summary>
    public string Digest { get; }

    public static SerializedTarget Of(BranchTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var json = JsonSerializer.Serialize(target, ReconcileJson.Context.BranchTarget);
        return new SerializedTarget(target, json, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json))));
    }
}
