using Gitfleet.Core.Facts;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Reconcile;
using Gitfleet.Core.Repository;
using Gitfleet.Core.Rollouts;

namespace Gitfleet.Core.Tests.Rollouts.Steps;

/// <summary>Targets, facts and rows for the rollout steps' table tests: devices of type pi4 moving from img-1 to img-2.</summary>
internal static class RolloutWorkFixture
{
    public static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public static readonly CommitInfo Commit = new("abc123def4567890", "dev", "roll img-2", Now.AddHours(-2));

    public static readonly RolloutPolicy Policy = new() { Retries = 1, OfflineTimeout = TimeSpan.FromHours(1) };

    public static readonly IReadOnlyDictionary<string, string> Settings = new Dictionary<string, string> { ["mode"] = "eco" };

    public static readonly string SettingsChecksum = ConfigurationChecksum.Compute(Settings);

    public static TargetIndex Target(params TargetDevice[] devices) => Target(Policy, [], devices);

    public static TargetIndex Target(RolloutPolicy policy, IReadOnlyList<string> forced, params TargetDevice[] devices) =>
        new(new BranchTarget
        {
            Branch = "main",
            Commit = Commit,
            Policy = RolloutPolicyDocument.From(policy),
            ForcedImages = forced,
            Configurations = new Dictionary<string, TargetConfiguration> { [SettingsChecksum] = new(Settings, []) },
            Devices = devices,
        }, 1);

    public static TargetDevice Wants(string id, string image = "img-2", bool configured = false) => new(id, image, configured ? SettingsChecksum : null, []);

    public static DeviceFacts Device(string id, string installed = "img-1", DateTimeOffset? checkIn = null, params InFlightDeployment[] flights) => new()
    {
        Id = id,
        DeviceType = "pi4",
        ArtifactName = installed,
        LastCheckIn = checkIn ?? Now,
        InFlight = flights,
        ReportedConfiguration = Settings,
    };

    public static InFlightDeployment Flight(string deploymentId, string status = "downloading") =>
        new() { DeploymentId = deploymentId, Kind = DeploymentKind.Os, ArtifactName = "img-2", Status = status };

    public static RolloutDeviceRecord Row(string id, RolloutDeviceState state, int attempts = 1, string? error = null, params string[] deployments) =>
        new(id, state, attempts, deployments, error, Now.AddMinutes(-10));

    public static RolloutWork Work(TargetIndex target, IEnumerable<DeviceFacts> facts, IEnumerable<RolloutDeviceRecord> rows, RolloutMemory? memory = null, TimeSpan? grace = null) =>
        new(
            target,
            DeviceEvaluation.EvaluateAll(target, facts.ToDictionary(f => f.Id, StringComparer.Ordinal)),
            rows.ToDictionary(r => r.DeviceId, StringComparer.Ordinal),
            RolloutProgress.Start,
            Now.AddHours(-1),
            Now,
            grace ?? TimeSpan.FromSeconds(30),
            memory ?? new RolloutMemory(),
            SequentialIds());

    /// <summary>Ids 00000000-0000-0000-0000-000000000001, ...02, ... in order: deterministic deployment ids.</summary>
    public static Func<Guid> SequentialIds()
    {
        var next = 0;
        return () => new Guid(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte)++next);
    }

    public static PartOutcome Outcome(string deploymentId, string deviceId, PartResult result, DeploymentKind kind = DeploymentKind.Os, string artifact = "img-2") =>
        new(deploymentId, deviceId, "dd-" + deploymentId + "-" + deviceId, result, kind, artifact);
}
