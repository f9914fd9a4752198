using Gitfleet.Core.Facts;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Reconcile;
using Gitfleet.Core.Resolution;

namespace Gitfleet.Core.Planning;

/// <summary>Everything the planner needs, passed in: no files, clocks or sockets.</summary>
public sealed record PlanRequest
{
    public required string Branch { get; init; }

    public required FleetRevision Revision { get; init; }

    public required IReadOnlyList<DeviceFacts> Facts { get; init; }

    /// <summary>Secrets for the templates' <c>env</c> helper (environment variables in the CLI).</summary>
    public Func<string, string?> Secrets { get; init; } = static _ => null;

    /// <summary>
    /// Devices other branches claim at their own heads (device key → those branches). A device claimed by this
    /// branch and another one, with no server tag to decide, is a conflict and is left alone.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> OtherBranchClaims { get; init; } =
        new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);

    /// <summary>A membership already computed for this revision and facts (saves work when the caller has it).</summary>
    public FleetMembers? Members { get; init; }

    /// <summary>Where template render time is read (TemplateLimits.Timeout); none: renders are bounded by output and steps.</summary>
    public TimeProvider? Clock { get; init; }

    /// <summary>Stops a plan that runs past its time budget (the server's watcher): Plan throws <see cref="OperationCanceledException"/>.</summary>
    public CancellationToken CancellationToken { get; init; }
}

/// <summary>
/// The pure decision: desired state of one branch at one commit + observed facts → per-device actions.
/// Only devices subscribed to the branch are planned (a server-side subscribed_branch tag overrides git);
/// an OS update also re-sends the configuration; changes already in flight are not scheduled again
/// (idempotency), and in-flight changes to something no longer desired are superseded.
/// </summary>
public static class Planner
{
    public static Plan Plan(PlanRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var members = request.Members ?? FleetMembership.Resolve(request.Revision, request.Facts);
        var builder = new DesiredStateBuilder(request.Revision, request.Secrets, new Templates.TemplateEngine(Templates.TemplateLimits.Default, request.Clock));
        // Devices are independent: plan them on every core, keeping the members' (sorted) order.
        var subscribed = members.Members.Where(m => m.Branch == request.Branch).ToArray();
        var devices = new DevicePlan[subscribed.Length];
        Parallel.For(0, subscribed.Length, new ParallelOptions { CancellationToken = request.CancellationToken }, i => devices[i] = PlanDevice(subscribed[i], request, builder));

        return new Plan(request.Branch, request.Revision.Commit, devices, Summarize(devices, members.Unmanaged));
    }

    /// <summary>The device keys whose git subscription (at this revision) is the given branch.</summary>
    public static IReadOnlySet<string> Claims(FleetMembers members, string branch)
    {
        ArgumentNullException.ThrowIfNull(members);
        return members.Members.Where(m => m.GitBranch == branch).Select(m => m.Key).ToHashSet(StringComparer.Ordinal);
    }

    private static DevicePlan PlanDevice(FleetMember member, PlanRequest request, DesiredStateBuilder builder)
    {
        var plan = new DevicePlan
        {
            Key = member.Key,
            DeviceId = member.DeviceId,
            HostName = member.HostName,
            DeviceType = member.DeviceType,
            Subscription = member.Subscription,
        };
        var problems = member.MatchProblems.Select(p => new PlanProblem(PlanProblemCodes.IdentityProblem, p)).ToList();
        if (member.Subscription == SubscriptionSource.Git && request.OtherBranchClaims.TryGetValue(member.Key, out var others) && others.Count > 0)
        {
            problems.Add(new PlanProblem(PlanProblemCodes.BranchConflict,
                $"claimed by branches {string.Join(", ", new[] { request.Branch }.Concat(others).Order(StringComparer.Ordinal))}: left alone until one subscription wins (merge the change to every branch, or set the device's subscribed_branch tag on the server)"));
        }

        if (member.Facts is null)
        {
            var where = member.DeclaredAt is { } location ? $" (declared at {location})" : "";
            problems.Add(new PlanProblem(PlanProblemCodes.UnknownDevice, $"declared in git{where} but unknown to the server: it is planned when it first connects"));
        }
        else if (member.Facts.Status != DeviceStatus.Accepted)
        {
            problems.Add(new PlanProblem(PlanProblemCodes.NotAccepted, $"the device is {member.Facts.Status} on the server, not accepted"));
        }

        if (problems.Count > 0)
        {
            return plan with { Problems = problems };
        }

        var desired = builder.Build(member, request.Branch);
        if (desired.Problems.Count > 0)
        {
            return plan with { Problems = desired.Problems };
        }

        var facts = member.Facts!;
        var os = TargetComparison.CompareOs(facts, desired.Image!);
        var configuration = desired.ManagesConfiguration && desired.Configuration is { } rendered
            ? TargetComparison.CompareConfiguration(facts, rendered, os.Kind == ActionKind.Update)
            : ConfigAction.Nothing;
        return plan with { Os = os, Configuration = configuration };
    }

    /// <summary>Key-level diff from what the device reported to what is desired; secret values redacted.</summary>
    public static IReadOnlyList<ConfigKeyChange> Diff(IReadOnlyDictionary<string, string>? reported, RenderedConfiguration desired)
    {
        ArgumentNullException.ThrowIfNull(desired);
        reported ??= DeviceFacts.EmptyMap;
        var changes = new List<ConfigKeyChange>();
        foreach (var (key, value) in desired.Values)
        {
            var secret = desired.SecretKeys.Contains(key);
            if (!reported.TryGetValue(key, out var old))
            {
                changes.Add(new ConfigKeyChange(key, ChangeKind.Added, null, secret ? RenderedConfiguration.Redacted : value, secret));
            }
            else if (!string.Equals(old, value, StringComparison.Ordinal))
            {
                changes.Add(new ConfigKeyChange(key, ChangeKind.Changed, secret ? RenderedConfiguration.Redacted : old, secret ? RenderedConfiguration.Redacted : value, secret));
            }
        }

        foreach (var (key, old) in reported)
        {
            if (!desired.Values.ContainsKey(key))
            {
                // A key that was secret before is not known to be secret now; redact values that look like ours.
                changes.Add(new ConfigKeyChange(key, ChangeKind.Removed, LooksSecret(key) ? RenderedConfiguration.Redacted : old, null, LooksSecret(key)));
            }
        }

        changes.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        return changes;
    }

    private static bool LooksSecret(string key) =>
        key.Contains("token", StringComparison.OrdinalIgnoreCase) || key.Contains("password", StringComparison.OrdinalIgnoreCase)
        || key.Contains("secret", StringComparison.OrdinalIgnoreCase) || key.Contains("key", StringComparison.OrdinalIgnoreCase);

    private static PlanSummary Summarize(DevicePlan[] devices, int unmanaged) => new()
    {
        Subscribed = devices.Length,
        Unchanged = devices.Count(d => d.Problems.Count == 0 && !d.HasChanges && !d.IsInFlight),
        OsUpdates = devices.Count(d => d.Os.Kind == ActionKind.Update),
        ConfigurationUpdates = devices.Count(d => d.Configuration.Kind == ActionKind.Update),
        InFlight = devices.Count(d => d.IsInFlight),
        Aborts = devices.Sum(d => d.Os.Supersedes.Count + d.Configuration.Supersedes.Count),
        Problems = devices.Count(d => d.Problems.Count > 0),
        Unmanaged = unmanaged,
    };
}
