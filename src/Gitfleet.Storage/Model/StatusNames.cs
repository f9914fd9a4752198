using System.Collections.Frozen;
using Gitfleet.Core.Facts;

namespace Gitfleet.Storage.Model;

/// <summary>A device's or an auth set's authentication status.</summary>
public enum AuthStatus
{
    Pending,
    Accepted,
    Rejected,
    Preauthorized,
    NoAuth,
}

/// <summary>A device's status in one deployment (Mender's device deployment statuses).</summary>
public enum DeviceDeploymentState
{
    Pending,
    Downloading,
    Installing,
    Rebooting,
    PauseBeforeInstalling,
    PauseBeforeCommitting,
    PauseBeforeRebooting,
    Success,
    Failure,
    AlreadyInstalled,
    NoArtifact,
    Aborted,
    Decommissioned,
}

/// <summary>A deployment's status: no device started it yet, some device did, every device finished (Mender's deployment statuses).</summary>
public enum DeploymentState
{
    Pending,
    InProgress,
    Finished,
}

/// <summary>
/// The typed statuses <see cref="IFleetStore"/> takes, spelled as the store keeps them and the Mender APIs send them:
/// the one place they are parsed and formatted. Formatting returns the shared constants
/// (<see cref="DeviceStatus"/>, <see cref="DeviceDeploymentStatus"/>), so a status compared by reference stays the same instance.
/// </summary>
public static class StatusNames
{
    // By name, built from the formatting below (one spelling of each): a device's status report parses without a scan.
    private static readonly FrozenDictionary<string, AuthStatus> AuthStatuses =
        Enum.GetValues<AuthStatus>().ToFrozenDictionary(status => Of(status), StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, DeviceDeploymentState> DeviceDeploymentStates =
        Enum.GetValues<DeviceDeploymentState>().ToFrozenDictionary(status => Of(status), StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, DeploymentState> DeploymentStates =
        Enum.GetValues<DeploymentState>().ToFrozenDictionary(status => Of(status), StringComparer.Ordinal);

    public static string Of(AuthStatus status) => status switch
    {
        AuthStatus.Pending => DeviceStatus.Pending,
        AuthStatus.Accepted => DeviceStatus.Accepted,
        AuthStatus.Rejected => DeviceStatus.Rejected,
        AuthStatus.Preauthorized => DeviceStatus.Preauthorized,
        AuthStatus.NoAuth => DeviceStatus.NoAuth,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "not an auth status"),
    };

    public static string Of(DeviceDeploymentState status) => status switch
    {
        DeviceDeploymentState.Pending => DeviceDeploymentStatus.Pending,
        DeviceDeploymentState.Downloading => DeviceDeploymentStatus.Downloading,
        DeviceDeploymentState.Installing => DeviceDeploymentStatus.Installing,
        DeviceDeploymentState.Rebooting => DeviceDeploymentStatus.Rebooting,
        DeviceDeploymentState.PauseBeforeInstalling => DeviceDeploymentStatus.PauseBeforeInstalling,
        DeviceDeploymentState.PauseBeforeCommitting => DeviceDeploymentStatus.PauseBeforeCommitting,
        DeviceDeploymentState.PauseBeforeRebooting => DeviceDeploymentStatus.PauseBeforeRebooting,
        DeviceDeploymentState.Success => DeviceDeploymentStatus.Success,
        DeviceDeploymentState.Failure => DeviceDeploymentStatus.Failure,
        DeviceDeploymentState.AlreadyInstalled => DeviceDeploymentStatus.AlreadyInstalled,
        DeviceDeploymentState.NoArtifact => DeviceDeploymentStatus.NoArtifact,
        DeviceDeploymentState.Aborted => DeviceDeploymentStatus.Aborted,
        DeviceDeploymentState.Decommissioned => DeviceDeploymentStatus.Decommissioned,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "not a device deployment status"),
    };

    public static string Of(DeploymentState status) => status switch
    {
        DeploymentState.Pending => DeploymentStatus.Pending,
        DeploymentState.InProgress => DeploymentStatus.InProgress,
        DeploymentState.Finished => DeploymentStatus.Finished,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "not a deployment status"),
    };

    public static bool TryParse(string? text, out DeploymentState status) => DeploymentStates.TryGetValue(text ?? "", out status);

    public static bool TryParse(string? text, out AuthStatus status) => AuthStatuses.TryGetValue(text ?? "", out status);

    public static bool TryParse(string? text, out DeviceDeploymentState status) => DeviceDeploymentStates.TryGetValue(text ?? "", out status);

    /// <summary>
    /// An auth status as the store keeps it. A value no version of Gitfleet writes (a hand-edited or foreign database) is
    /// an error that names it, never a silent default: a device read as "pending" by mistake would lose or gain access.
    /// </summary>
    public static AuthStatus StoredAuth(string text) =>
        TryParse(text, out AuthStatus status) ? status : throw Unknown("auth", text, AuthStatuses.Keys);

    /// <summary>A device deployment status as the store keeps it; an unknown one is an error that names it (see <see cref="StoredAuth"/>).</summary>
    public static DeviceDeploymentState StoredDeviceDeployment(string text) =>
        TryParse(text, out DeviceDeploymentState status) ? status : throw Unknown("device deployment", text, DeviceDeploymentStates.Keys);

    /// <summary>A deployment status as the store keeps it; an unknown one is an error that names it (see <see cref="StoredAuth"/>).</summary>
    public static DeploymentState StoredDeployment(string text) =>
        TryParse(text, out DeploymentState status) ? status : throw Unknown("deployment", text, DeploymentStates.Keys);

    private static InvalidDataException Unknown(string kind, string? text, IEnumerable<string> known) =>
        new($"the store holds {kind} status '{text}', which Gitfleet does not know (expected one of: {string.Join(", ", known.Order(StringComparer.Ordinal))})");
}
