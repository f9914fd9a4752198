using Gitfleet.Core.Facts;
using Gitfleet.Core.Planning;
using Gitfleet.Core.Resolution;

namespace Gitfleet.Core.Reconcile;

/// <summary>
/// Compares what a device reports (and has in flight) with what it should run: the decision the planner makes
/// per device, shared with the server's rollout engine so both judge a device the same way.
/// </summary>
public static class TargetComparison
{
    /// <summary>The OS action: update when the installed image (rootfs-image.version) differs; in flight when scheduled.</summary>
    public static OsAction CompareOs(DeviceFacts facts, string image)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var installed = facts.InstalledImage;
        if (facts.InFlight.Count == 0)
        {
            return installed == image ? new OsAction(ActionKind.None, installed, image, []) : new OsAction(ActionKind.Update, installed, image, []);
        }

        return CompareOsInFlight(facts, image, installed);
    }

    // Apart from the usual case above, so that a device with nothing in flight allocates none of the lambdas' captures.
    private static OsAction CompareOsInFlight(DeviceFacts facts, string image, string? installed)
    {
        var inFlight = facts.InFlight.Where(d => d.Kind == DeploymentKind.Os).ToList();
        var stale = inFlight.Where(d => d.ArtifactName != image).Select(d => d.DeploymentId).ToList();
        if (inFlight.Any(d => d.ArtifactName == image))
        {
            return new OsAction(ActionKind.InFlight, installed, image, stale);
        }

        if (installed != image)
        {
            return new OsAction(ActionKind.Update, installed, image, stale);
        }

        return stale.Count > 0 ? new OsAction(ActionKind.Abort, installed, image, stale) : new OsAction(ActionKind.None, installed, image, []);
    }

    /// <summary>The configuration action; an OS update re-sends the configuration (it carries expected_os_image).</summary>
    public static ConfigAction CompareConfiguration(DeviceFacts facts, RenderedConfiguration desired, bool withOsUpdate)
    {
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(desired);
        var reported = RedactedConfiguration.Resolve(facts, desired);
        if (facts.InFlight.Count == 0 && !withOsUpdate && SameConfiguration(reported, desired.Values))
        {
            return ConfigAction.Nothing with { Desired = desired };
        }

        return CompareChangedConfiguration(facts, desired, withOsUpdate, reported);
    }

    private static ConfigAction CompareChangedConfiguration(DeviceFacts facts, RenderedConfiguration desired, bool withOsUpdate, IReadOnlyDictionary<string, string>? reported)
    {
        var inFlight = facts.InFlight.Where(d => d.Kind == DeploymentKind.Configuration).ToList();
        var stale = inFlight.Where(d => d.ConfigurationChecksum != desired.Checksum).Select(d => d.DeploymentId).ToList();
        var changes = Planner.Diff(reported, desired);
        if (inFlight.Any(d => d.ConfigurationChecksum == desired.Checksum))
        {
            return new ConfigAction(ActionKind.InFlight, changes, "already scheduled", stale) { Desired = desired };
        }

        if (withOsUpdate)
        {
            return new ConfigAction(ActionKind.Update, changes, "re-sent with the OS update", stale) { Desired = desired };
        }

        if (changes.Count > 0)
        {
            var reason = facts.ReportedConfiguration is null ? "the device never reported a configuration" : "the configuration changed";
            return new ConfigAction(ActionKind.Update, changes, reason, stale) { Desired = desired };
        }

        return stale.Count > 0
            ? new ConfigAction(ActionKind.Abort, [], "a different configuration is scheduled", stale) { Desired = desired }
            : ConfigAction.Nothing with { Desired = desired };
    }

    public static bool SameConfiguration(IReadOnlyDictionary<string, string>? reported, IReadOnlyDictionary<string, string> desired)
    {
        ArgumentNullException.ThrowIfNull(desired);
        if (reported is null || reported.Count != desired.Count)
        {
            return false;
        }

        if (desired is Dictionary<string, string> rendered)
        {
            // A rendered configuration is a Dictionary: enumerated as one, no enumerator is allocated per device.
            foreach (var (key, value) in rendered)
            {
                if (!Holds(reported, key, value))
                {
                    return false;
                }
            }

            return true;
        }

        foreach (var (key, value) in desired)
        {
            if (!Holds(reported, key, value))
            {
                return false;
            }
        }

        return true;
    }

    private static bool Holds(IReadOnlyDictionary<string, string> map, string key, string value) =>
        map.TryGetValue(key, out var other) && string.Equals(value, other, StringComparison.Ordinal);
}
