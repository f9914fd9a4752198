using Gitfleet.Core.Diagnostics;
using Gitfleet.Core.Facts;
using Gitfleet.Core.Variables;

namespace Gitfleet.Core.Resolution;

/// <summary>Where a device's subscription comes from.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<SubscriptionSource>))]
public enum SubscriptionSource
{
    /// <summary>Neither git nor the server names a branch: no branch manages the device.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("none")]
    None,

    /// <summary>The <c>subscribed_branch</c> variable in the fleet repository.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("git")]
    Git,

    /// <summary>The device's server-side <c>subscribed_branch</c> tag, which overrides git.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("server_tag")]
    ServerTag,
}

/// <summary>
/// A device a revision manages: declared in the inventory (by id or by identity), named by a host_vars file,
/// or a member of a dynamic group. Carries its facts when the server knows it.
/// </summary>
public sealed class FleetMember
{
    public const string SubscriptionTag = "subscribed_branch";

    public FleetMember(string key, string? hostName, DeviceFacts? facts, IReadOnlyList<string> groups, MergedVariables variables, SourceLocation? declaredAt)
    {
        Key = key;
        HostName = hostName;
        Facts = facts;
        Groups = groups;
        Variables = variables;
        DeclaredAt = declaredAt;
    }

    /// <summary>The server's device id when known, else the inventory host name.</summary>
    public string Key { get; }

    public string? HostName { get; }

    public DeviceFacts? Facts { get; }

    /// <summary>All groups the device belongs to, ancestors included, in Ansible's order.</summary>
    public IReadOnlyList<string> Groups { get; }

    public MergedVariables Variables { get; }

    public SourceLocation? DeclaredAt { get; }

    /// <summary>Problems found while matching the device (ambiguous identity, declared twice).</summary>
    public IReadOnlyList<string> MatchProblems { get; init; } = [];

    public string? DeviceId => Facts?.Id;

    public string? GitBranch => Variables.GetString(ReservedVariables.SubscribedBranch);

    public string? TagBranch => Facts?.Tags.GetValueOrDefault(SubscriptionTag) is { Length: > 0 } tag ? tag : null;

    public string? Branch => TagBranch ?? GitBranch;

    public SubscriptionSource Subscription =>
        TagBranch is not null ? SubscriptionSource.ServerTag : GitBranch is not null ? SubscriptionSource.Git : SubscriptionSource.None;

    /// <summary>The device type the device reports, else the one declared in git.</summary>
    public string? DeviceType => Facts?.DeviceType ?? DeclaredDeviceType;

    public string? DeclaredDeviceType => Variables.GetString(ReservedVariables.DeviceType);
}
