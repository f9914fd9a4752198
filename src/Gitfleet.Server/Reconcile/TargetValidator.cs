using Gitfleet.Core.Facts;
using Gitfleet.Core.Planning;
using Gitfleet.Core.Reconcile;
using Gitfleet.Server.Domain;

namespace Gitfleet.Server.Reconcile;

/// <summary>
/// Checks a submitted target as a whole before anything is stored (a malformed target is a 400 and changes
/// nothing): schema, branch, commit, policy, every configuration's checksum against its values, every device's
/// references. Devices the server does not know, or that are not accepted, move to the problems: the planner's
/// facts may be older than the server's.
/// </summary>
internal static class TargetValidator
{
    private const int MaxText = 1024;

    public static BranchTarget Validate(BranchTarget target, string branch, Func<string, string?> statusOf)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(statusOf);
        if (target.Schema != BranchTarget.CurrentSchema)
        {
            throw DomainException.Invalid($"unsupported target schema '{target.Schema}', expected '{BranchTarget.CurrentSchema}'");
        }

        if (target.Branch != branch)
        {
            throw DomainException.Invalid($"the target is for branch '{target.Branch}' but was sent to branch '{branch}'");
        }

        if (target.Commit is null || string.IsNullOrWhiteSpace(target.Commit.Sha) || target.Commit.Sha.Length > 256)
        {
            throw DomainException.Invalid("commit.sha is required");
        }

        if ((target.Commit.Author?.Length ?? 0) > MaxText || (target.Commit.Subject?.Length ?? 0) > MaxText)
        {
            throw DomainException.Invalid($"commit.author and commit.subject are limited to {MaxText} characters");
        }

        CheckPolicy(target.Policy);
        foreach (var (checksum, configuration) in target.Configurations)
        {
            if (configuration?.Values is null)
            {
                throw DomainException.Invalid($"configuration {checksum} has no values");
            }

            if (ConfigurationChecksum.Compute(configuration.Values) != checksum)
            {
                throw DomainException.Invalid($"configuration {checksum} does not match its values (checksum {ConfigurationChecksum.Compute(configuration.Values)})");
            }
        }

        var seen = new HashSet<string>(target.Devices.Count, StringComparer.Ordinal);
        var devices = new List<TargetDevice>(target.Devices.Count);
        var problems = new List<TargetProblem>(target.Problems);
        for (var i = 0; i < target.Devices.Count; i++)
        {
            var device = target.Devices[i] ?? throw DomainException.Invalid($"devices[{i}] is null");
            if (string.IsNullOrEmpty(device.Id) || !seen.Add(device.Id))
            {
                throw DomainException.Invalid($"devices[{i}]: the id is missing or appears twice ('{device.Id}')");
            }

            if (string.IsNullOrWhiteSpace(device.Image))
            {
                throw DomainException.Invalid($"device {device.Id}: image is required");
            }

            if (device.Configuration is { } checksum && !target.Configurations.ContainsKey(checksum))
            {
                throw DomainException.Invalid($"device {device.Id}: configuration {checksum} is not in configurations");
            }

            switch (statusOf(device.Id))
            {
                case null:
                    problems.Add(new TargetProblem(device.Host ?? device.Id, device.Id, PlanProblemCodes.UnknownDevice, "unknown to the server: it is planned when it first connects"));
                    break;
                case var status when status != DeviceStatus.Accepted:
                    problems.Add(new TargetProblem(device.Host ?? device.Id, device.Id, PlanProblemCodes.NotAccepted, $"the device is {status} on the server, not accepted"));
                    break;
                default:
                    devices.Add(device with { Groups = device.Groups ?? [] });
                    break;
            }
        }

        foreach (var admission in target.Admissions)
        {
            if (admission?.Identity is not { Count: > 0 })
            {
                throw DomainException.Invalid($"admission '{admission?.Host}' declares no identity");
            }
        }

        devices.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        return target with { Devices = devices, Problems = problems };
    }

    private static void CheckPolicy(RolloutPolicyDocument? policy)
    {
        if (policy is null)
        {
            throw DomainException.Invalid("policy is required");
        }

        try
        {
            var parsed = policy.ToPolicy();
            if (parsed.Retries is < 0 or > 100)
            {
                throw DomainException.Invalid("policy.retries must be between 0 and 100");
            }

            if (parsed.MaxConcurrent is <= 0)
            {
                throw DomainException.Invalid("policy.max_concurrent must be positive");
            }

            if (parsed.Soak < TimeSpan.Zero || parsed.OfflineTimeout < TimeSpan.Zero)
            {
                throw DomainException.Invalid("policy durations must not be negative");
            }
        }
        catch (FormatException e)
        {
            throw DomainException.Invalid("policy: " + e.Message);
        }
        catch (Exception e) when (e is OverflowException or ArgumentException)
        {
            throw DomainException.Invalid("policy: a duration is out of range");
        }
    }
}
