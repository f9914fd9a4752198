namespace Gitfleet.Server.Deployments;

/// <summary>
/// Mender's update control map as the 3.x client reads it (strictly: only these fields): its id is the deployment's,
/// and <c>ArtifactInstall_Enter</c> pauses the client after the download until the map says otherwise. An empty
/// state list means "go on" (the client drops default states itself).
/// </summary>
internal sealed record UpdateControlMap(string Id, int Priority, IReadOnlyDictionary<string, ControlMapState> States)
{
    public const string BeforeInstall = "ArtifactInstall_Enter";

    private static readonly IReadOnlyDictionary<string, ControlMapState> Pause =
        new Dictionary<string, ControlMapState>(StringComparer.Ordinal) { [BeforeInstall] = new ControlMapState("pause") };

    private static readonly IReadOnlyDictionary<string, ControlMapState> Go =
        new Dictionary<string, ControlMapState>(StringComparer.Ordinal) { [BeforeInstall] = new ControlMapState("continue") };

    public static UpdateControlMap For(string deploymentId, bool held) => new(deploymentId, 0, held ? Pause : Go);
}

/// <summary>One state's action (<c>on_map_expire</c> is left to the client: for pause it fails the update, for continue it continues).</summary>
internal sealed record ControlMapState(string Action);
