namespace Gitfleet.TestSupport.Mender;

/// <summary>One simulated device running the real Debian mender-client.</summary>
public sealed record MenderDeviceOptions
{
    /// <summary>A short name for directories and logs; also the default identity (mac derived from it).</summary>
    public required string Name { get; init; }

    /// <summary>Identity attributes printed by the identity script; default: one "mac" derived from the name.</summary>
    public IReadOnlyDictionary<string, string>? Identity { get; init; }

    public string DeviceType { get; init; } = "qemux86-64";

    /// <summary>The installed artifact name (/etc/mender/artifact_info) until the first install.</summary>
    public string ArtifactName { get; init; } = "release-1";

    /// <summary>Extra inventory attributes printed by an inventory script.</summary>
    public IReadOnlyDictionary<string, string> Inventory { get; init; } = new Dictionary<string, string>();

    /// <summary>Extra update modules (name → shell script) installed next to Debian's.</summary>
    public IReadOnlyDictionary<string, string> Modules { get; init; } = new Dictionary<string, string>();

    /// <summary>The device key (PKCS#1 PEM) to use instead of one the client generates: lets a test preauthorize the device.</summary>
    public string? PrivateKeyPem { get; init; }

    public int UpdatePollSeconds { get; init; } = 5;

    public int InventoryPollSeconds { get; init; } = 5;

    public int RetryPollSeconds { get; init; } = 5;
}
