using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gitfleet.Core.Reconcile;

/// <summary>JSON for the reconcile documents (snake_case, like Mender's APIs): targets, statuses.</summary>
public static class ReconcileJson
{
    public static readonly ReconcileJsonContext Context = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}

[JsonSerializable(typeof(BranchTarget))]
[JsonSerializable(typeof(BranchStatus))]
[JsonSerializable(typeof(IReadOnlyList<BranchStatus>))]
[JsonSerializable(typeof(GateResult))]
public sealed partial class ReconcileJsonContext : JsonSerializerContext;
