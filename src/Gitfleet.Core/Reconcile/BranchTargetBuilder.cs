using Gitfleet.Core.Fleet;
using Gitfleet.Core.Planning;
using Gitfleet.Core.Resolution;
using Gitfleet.Core.Variables;
using Gitfleet.Core.Yaml;

namespace Gitfleet.Core.Reconcile;

/// <summary>Turns a plan (and the revision and membership it came from) into the branch's target.</summary>
public static class BranchTargetBuilder
{
    public static BranchTarget Build(Plan plan, FleetRevision revision, FleetMembers members)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(revision);
        ArgumentNullException.ThrowIfNull(members);
        var policy = revision.Settings.PolicyFor(plan.Branch);
        var dependsOn = revision.Settings.Groups.ToDictionary(g => g.Key, g => g.Value.DependsOn, StringComparer.Ordinal);
        var dependencyGroups = new HashSet<string>(dependsOn.Keys.Concat(dependsOn.Values.SelectMany(v => v)), StringComparer.Ordinal);
        var byKey = members.Members.ToDictionary(m => m.Key, StringComparer.Ordinal);

        var configurations = new Dictionary<string, TargetConfiguration>(StringComparer.Ordinal);
        var devices = new List<TargetDevice>(plan.Devices.Count);
        var problems = new List<TargetProblem>();
        foreach (var device in plan.Devices)
        {
            if (device.Problems.Count > 0 || device.DeviceId is null || device.Os.To is null)
            {
                foreach (var problem in device.Problems)
                {
                    problems.Add(new TargetProblem(device.Key, device.DeviceId, problem.Code, problem.Message));
                }

                continue;
            }

            string? checksum = null;
            if (device.Configuration.Desired is { } desired)
            {
                checksum = desired.Checksum;
                configurations.TryAdd(checksum, new TargetConfiguration(desired.Values, desired.SecretKeys.Order(StringComparer.Ordinal).ToList()));
            }

            var groups = dependencyGroups.Count == 0 || !byKey.TryGetValue(device.Key, out var member)
                ? []
                : member.Groups.Where(dependencyGroups.Contains).ToList();
            devices.Add(new TargetDevice(device.DeviceId, device.Os.To, checksum, groups) { Host = device.HostName, Windows = WindowsFor(policy.Rollout, byKey.GetValueOrDefault(device.Key)) });
        }

        devices.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        return new BranchTarget
        {
            Branch = plan.Branch,
            Commit = revision.Commit ?? new Repository.CommitInfo("", "", "", DateTimeOffset.UnixEpoch),
            ContentHash = revision.ContentHash,
            Policy = RolloutPolicyDocument.From(policy.Rollout),
            CorrectDrift = policy.CorrectDrift,
            AutoAccept = policy.AutoAccept,
            Paused = policy.Paused,
            ForcedImages = revision.Settings.Images.Where(i => i.Value.Force).Select(i => i.Key).Order(StringComparer.Ordinal).ToList(),
            DependsOn = dependsOn,
            Configurations = configurations,
            Devices = devices,
            Admissions = Admissions(members, plan.Branch),
            Problems = problems,
        };
    }

    /// <summary>The windows that apply to a device by its labels and groups; null when the rollout has none or none applies.</summary>
    public static IReadOnlyList<string>? WindowsFor(RolloutPolicy rollout, FleetMember? member)
    {
        if (rollout.Windows.Count == 0)
        {
            return null;
        }

        var labels = member?.Variables.Labels;
        var groups = member?.Groups;
        var names = Rollouts.WindowAssignment.For(rollout.Windows, key => labels?.GetValueOrDefault(key), group => groups?.Contains(group, StringComparer.Ordinal) ?? false);
        return names.Count == 0 ? null : names;
    }

    /// <summary>Hosts declared by identity whose git subscription is this branch.</summary>
    private static List<TargetAdmission> Admissions(FleetMembers members, string branch)
    {
        var admissions = new List<TargetAdmission>();
        foreach (var member in members.Members)
        {
            if (member.HostName is null || member.GitBranch != branch
                || member.Variables[ReservedVariables.Identity] is not YamlMap identity || identity.Count == 0)
            {
                continue;
            }

            var attributes = identity.ToDictionary(kv => kv.Key, kv => YamlScalar(kv.Value), StringComparer.Ordinal);
            admissions.Add(new TargetAdmission(member.HostName, attributes, member.Variables.GetString(ReservedVariables.PublicKey)));
        }

        return admissions;
    }

    private static string YamlScalar(object? value) => value switch
    {
        string s => s,
        bool b => b ? "true" : "false",
        null => "",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
}
