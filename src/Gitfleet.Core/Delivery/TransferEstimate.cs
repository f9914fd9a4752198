using System.Text.Json.Serialization;

namespace Gitfleet.Core.Delivery;

/// <summary>How a group of devices gets its new image.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TransferMethod>))]
public enum TransferMethod
{
    /// <summary>A generated delta, of known size.</summary>
    [JsonStringEnumMemberName("delta")]
    Delta,

    /// <summary>A delta applies but is not generated yet: counted at the full image's size (an upper bound).</summary>
    [JsonStringEnumMemberName("delta_pending")]
    DeltaPending,

    /// <summary>The full artifact.</summary>
    [JsonStringEnumMemberName("full")]
    Full,

    /// <summary>The target artifact is not in the catalog (not uploaded, or no catalog given): size unknown.</summary>
    [JsonStringEnumMemberName("unknown")]
    Unknown,
}

/// <summary>Devices of one wave going from one image to another the same way, and what each downloads.</summary>
public sealed record TransferGroup
{
    /// <summary>The installed image (null when unknown).</summary>
    public string? From { get; init; }

    public required string To { get; init; }

    public string? DeviceType { get; init; }

    public required TransferMethod Method { get; init; }

    public required int Devices { get; init; }

    /// <summary>Bytes each device downloads (null when unknown).</summary>
    public long? BytesEach { get; init; }

    /// <summary>Why this method, in a few words (e.g. "the device has no delta support").</summary>
    public string? Note { get; init; }

    public long Bytes => (BytesEach ?? 0) * Devices;

    /// <summary>In a running rollout's status: how many of these devices have downloaded their image (null in a plan).</summary>
    public int? Moved { get; init; }

    /// <summary>
    /// In a running rollout's status: how many still download it (waiting, downloading, or failed with a retry left);
    /// devices stopped for good (aborted, failed past their retries) are in neither count. Null in a plan.
    /// </summary>
    public int? ToMove { get; init; }

    public long? MovedBytes => Moved is { } n ? (BytesEach ?? 0) * n : null;

    public long? ToMoveBytes => ToMove is { } n ? (BytesEach ?? 0) * n : null;
}

/// <summary>One wave's share of a change: its devices and bytes over the air.</summary>
public sealed record WaveTransfer
{
    /// <summary>1-based.</summary>
    public required int Wave { get; init; }

    /// <summary>Devices in this wave that download an OS image.</summary>
    public required int Devices { get; init; }

    public required long Bytes { get; init; }

    public required IReadOnlyList<TransferGroup> Groups { get; init; }

    /// <summary>In a running rollout's status: the bytes its devices have downloaded (estimated per device; null in a plan).</summary>
    public long? MovedBytes => Groups.Any(g => g.Moved is not null) ? Groups.Sum(g => g.MovedBytes ?? 0) : null;

    /// <summary>In a running rollout's status: the bytes its devices still download (null in a plan).</summary>
    public long? ToMoveBytes => Groups.Any(g => g.ToMove is not null) ? Groups.Sum(g => g.ToMoveBytes ?? 0) : null;
}

/// <summary>
/// The bytes a branch's change moves over the air, per wave and per (from, to, device type, method): delta-aware,
/// from the server's catalog. Unknown sizes are counted as zero and reported (<see cref="UnknownDevices"/>).
/// </summary>
public sealed record TransferEstimate
{
    public static readonly TransferEstimate None = new() { Waves = [] };

    public required IReadOnlyList<WaveTransfer> Waves { get; init; }

    /// <summary>Devices that download an OS image.</summary>
    public int Devices => Waves.Sum(w => w.Devices);

    /// <summary>The bytes over the air (deltas where they apply, pending deltas at full size).</summary>
    public long TotalBytes => Waves.Sum(w => w.Bytes);

    /// <summary>What the same devices would download with full images only.</summary>
    public long FullImageBytes { get; init; }

    /// <summary>Devices whose target artifact the catalog does not know (their bytes are not counted).</summary>
    public int UnknownDevices { get; init; }

    /// <summary>False when no catalog was available (a facts file without one, a Mender server): sizes are all unknown.</summary>
    public bool HasCatalog { get; init; } = true;

    /// <summary>In a running rollout's status: the bytes downloaded so far and still to download (null in a plan).</summary>
    public long? MovedBytes => Waves.Any(w => w.MovedBytes is not null) ? Waves.Sum(w => w.MovedBytes ?? 0) : null;

    public long? ToMoveBytes => Waves.Any(w => w.ToMoveBytes is not null) ? Waves.Sum(w => w.ToMoveBytes ?? 0) : null;

    /// <summary>The largest wave's bytes (what a per-wave budget is checked against).</summary>
    public long LargestWaveBytes => Waves.Count == 0 ? 0 : Waves.Max(w => w.Bytes);
}
