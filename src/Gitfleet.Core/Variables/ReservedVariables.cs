namespace Gitfleet.Core.Variables;

/// <summary>Variable names with a meaning to Gitfleet (docs/fleet-repository.md, "Reserved variables").</summary>
public static class ReservedVariables
{
    /// <summary>The branch (rollout stage) a device follows.</summary>
    public const string SubscribedBranch = "subscribed_branch";

    /// <summary>A list of {device_type, image_name}: the OS image per device type.</summary>
    public const string OsImage = "os_image";

    /// <summary>{template, parameters}: the device's configuration.</summary>
    public const string Configuration = "configuration";

    /// <summary>A string map used by overlay selectors. Unlike other maps, labels merge across levels.</summary>
    public const string Labels = "labels";

    /// <summary>Identity attributes (for example mac, serialno) of a device declared before it first connects.</summary>
    public const string Identity = "identity";

    /// <summary>The device's public key (PEM), preauthorized together with its identity.</summary>
    public const string PublicKey = "public_key";

    /// <summary>The expected device type; checked against os_image offline and against the device's report.</summary>
    public const string DeviceType = "device_type";

    /// <summary>Keys Gitfleet adds to every rendered configuration.</summary>
    public const string ExpectedOsImageKey = "expected_os_image";

    public const string SubscribedBranchKey = "subscribed_branch";

    public static readonly IReadOnlyList<string> All =
        [SubscribedBranch, OsImage, Configuration, Labels, Identity, PublicKey, DeviceType];
}
