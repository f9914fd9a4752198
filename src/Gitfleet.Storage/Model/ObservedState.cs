using Gitfleet.Core.Facts;

namespace Gitfleet.Storage.Model;

/// <summary>
/// The observed state of every device at one moment, by id, as the rollout engine compares it with targets.
/// Passed back to the next read, it is the base of a delta: only devices whose rows were stamped since are read
/// again (every few minutes everything is), unchanged devices keep their <see cref="DeviceFacts"/> instances and
/// their configuration maps (read again only when the stored checksum changed), and in-flight lists are shared
/// by every device with the same deployments in the same states: comparing two states is mostly comparing
/// references.
/// </summary>
public sealed class ObservedState
{
    public static readonly ObservedState Empty = new(
        new Dictionary<string, DeviceFacts>(StringComparer.Ordinal),
        new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal),
        new Dictionary<string, IReadOnlyList<InFlightDeployment>>(StringComparer.Ordinal),
        new System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal));

    internal ObservedState(
        IReadOnlyDictionary<string, DeviceFacts> devices,
        Dictionary<string, IReadOnlyDictionary<string, string>> configurations,
        Dictionary<string, IReadOnlyList<InFlightDeployment>> flights,
        System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlyDictionary<string, string>> images)
    {
        Images = images;
        Devices = devices;
        Configurations = configurations;
        Flights = flights;
    }

    public IReadOnlyDictionary<string, DeviceFacts> Devices { get; }

    /// <summary>When every device was last read (the reads between only read what changed since <see cref="Watermark"/>).</summary>
    public DateTimeOffset? FullReadAt { get; init; }

    /// <summary>Rows stamped at or after this (Unix ms) are read again by the next read.</summary>
    internal long Watermark { get; init; }

    /// <summary>Checksum → the reported configuration map (one instance per distinct configuration).</summary>
    internal Dictionary<string, IReadOnlyDictionary<string, string>> Configurations { get; }

    /// <summary>Installed image and delta formats → their attribute map (kept across reads; such pairs are few).</summary>
    internal System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlyDictionary<string, string>> Images { get; }

    /// <summary>In-flight signature → the shared list.</summary>
    internal Dictionary<string, IReadOnlyList<InFlightDeployment>> Flights { get; }
}
