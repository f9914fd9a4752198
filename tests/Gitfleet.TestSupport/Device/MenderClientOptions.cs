namespace Gitfleet.TestSupport.Device;

/// <summary>How a <see cref="MenderClient"/> is provisioned: its image, device type, identity and server.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed record MenderClientOptions
{
    /// <summary>The image the device was built as (Mender's artifact_info) until its first install.</summary>
    public required string ProvisionedImage { get; init; }

    /// <summary>The server the daemon talks to; null: standalone mode (install/commit/rollback) only.</summary>
    public Uri? Server { get; init; }

    /// <summary>A PEM certificate the client trusts for <see cref="Server"/> (mender.conf's ServerCertificate).</summary>
    public string? ServerCertificate { get; init; }

    public string DeviceType { get; init; } = MenderClient.DeviceType;

    /// <summary>What mender-device-identity prints; default: a random locally administered mac.</summary>
    public IReadOnlyDictionary<string, string>? Identity { get; init; }

    /// <summary>The device key (PKCS#1 PEM); default: one key shared by all test devices.</summary>
    public string? PrivateKeyPem { get; init; }

    /// <summary>Install the package's gitfleet-delta module (as the package does): the device then announces delta support.</summary>
    public bool DeltaModule { get; init; } = true;

    /// <summary>Also install the package's apply-device-config hooks (the playbook hook) into the sandbox.</summary>
    public bool InstallHooks { get; init; }

    public int UpdatePollSeconds { get; init; } = 5;

    public int InventoryPollSeconds { get; init; } = 5;

    public int RetryPollSeconds { get; init; } = 5;
}
