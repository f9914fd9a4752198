namespace Gitfleet.Storage.Model;

/// <summary>A device as devauth and inventory know it. Identity is the map the device authenticated with.</summary>
public sealed record DeviceRecord
{
    public required string Id { get; init; }

    /// <summary>Accepted, pending, rejected, preauthorized (spelled by <see cref="StatusNames"/>).</summary>
    public required AuthStatus Status { get; init; }

    public required IReadOnlyDictionary<string, string> Identity { get; init; }

    /// <summary>Canonical JSON of the identity (keys sorted): unique per device.</summary>
    public required string IdentityKey { get; init; }

    public string? DeviceType { get; init; }

    public string? ArtifactName { get; init; }

    public string? Group { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    public DateTimeOffset? LastCheckIn { get; init; }
}

/// <summary>One identity + public key pair a device presented (Mender's "auth set").</summary>
public sealed record AuthSetRecord(string Id, string DeviceId, string PublicKey, AuthStatus Status, DateTimeOffset CreatedAt);

/// <summary>An inventory attribute: one value, or several for a list (a repeated name).</summary>
public sealed record AttributeRecord(string DeviceId, string Scope, string Name, IReadOnlyList<string> Values, DateTimeOffset UpdatedAt)
{
    /// <summary>The values as one flat text (<see cref="Gitfleet.Core.Facts.AttributeText"/>).</summary>
    public string Text => Gitfleet.Core.Facts.AttributeText.Flatten(Values);
}

/// <summary>A device's status and last check-in, as the in-memory registry loads it at start.</summary>
public sealed record DeviceStatusRow(string Id, AuthStatus Status, DateTimeOffset? LastCheckIn)
{
    /// <summary>The digest of the inventory last PUT (<see cref="Gitfleet.Core.Facts.InventoryDigest"/>), when known.</summary>
    public ulong? InventoryDigest { get; init; }
}

/// <summary>A value a device provides at check-in (device_provides), kept as an attribute of scope "provides".</summary>
public sealed record ProvidedAttribute(string DeviceId, string Name, string Value);

public static class AttributeScope
{
    public const string Inventory = "inventory";

    /// <summary>Learned from the device's check-ins; shown as inventory unless the device reports the same name itself.</summary>
    public const string Provides = "provides";
    public const string Identity = "identity";
    public const string System = "system";
    public const string Tags = "tags";
}

/// <summary>Paging and filters for device lists. Page numbers start at 1.</summary>
public sealed record DeviceQuery
{
    public AuthStatus? Status { get; init; }

    public IReadOnlyList<string>? Ids { get; init; }

    public string? Group { get; init; }

    /// <summary>true: only devices in some group; false: only devices in no group.</summary>
    public bool? HasGroup { get; init; }

    public IReadOnlyList<AttributeFilter> Filters { get; init; } = [];

    public int Page { get; init; } = 1;

    public int PerPage { get; init; } = 20;
}

/// <summary>An inventory filter (Mender v2 search): operator is $eq, $ne, $in, $exists.</summary>
public sealed record AttributeFilter(string Scope, string Name, string Operator, IReadOnlyList<string> Values);

public sealed record Page<T>(IReadOnlyList<T> Items, long Total);

/// <summary>A device found by its identity, and its auth set with the key asked about (null when it has none with that key).</summary>
public sealed record AuthSetLookup(DeviceRecord Device, AuthSetRecord? AuthSet);

/// <summary>An accepted device, its canonical identity key and the public key (PEM) of its accepted auth set.</summary>
public sealed record AcceptedKeyRow(string DeviceId, string IdentityKey, string PublicKey);

/// <summary>What a device's auth request produced.</summary>
public sealed record AuthRequestOutcome(DeviceRecord Device, AuthSetRecord AuthSet, bool Created);
