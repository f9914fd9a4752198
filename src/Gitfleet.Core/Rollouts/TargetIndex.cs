using Gitfleet.Core.Fleet;
using Gitfleet.Core.Reconcile;
using Gitfleet.Core.Repository;
using Gitfleet.Core.Resolution;

namespace Gitfleet.Core.Rollouts;

/// <summary>
/// A validated branch target in the form the rollout engine reads on every decision: devices in arrays with their
/// image and configuration as indexes into small tables (a fleet has few distinct images and configurations), so
/// 200,000 devices cost a few megabytes and comparing them allocates nothing per device.
/// </summary>
public sealed class TargetIndex
{
    private readonly Dictionary<string, int> positions;
    private readonly Dictionary<string, string> calendarKeys = new(StringComparer.Ordinal);

    public TargetIndex(BranchTarget target, long generation)
    {
        ArgumentNullException.ThrowIfNull(target);
        Generation = generation;
        Branch = target.Branch;
        Commit = target.Commit;
        ContentHash = target.ContentHash;
        Policy = target.Policy.ToPolicy();
        CorrectDrift = target.CorrectDrift;
        AutoAccept = target.AutoAccept;
        DependsOn = target.DependsOn;
        Admissions = target.Admissions;
        Problems = target.Problems;
        Paused = target.Paused;
        RevertOf = target.RevertOf;
        Forced = target.ForcedImages.ToHashSet(StringComparer.Ordinal);

        var configurationIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var configurations = new List<RenderedConfiguration>();
        foreach (var (checksum, configuration) in target.Configurations)
        {
            configurationIndex[checksum] = configurations.Count;
            configurations.Add(new RenderedConfiguration(configuration.Values, configuration.SecretKeys.ToHashSet(StringComparer.Ordinal)));
        }

        Configurations = configurations;
        var images = new Dictionary<string, int>(StringComparer.Ordinal);
        var groups = new Dictionary<string, int>(StringComparer.Ordinal);
        var groupLists = new List<IReadOnlyList<string>>();
        var count = target.Devices.Count;
        DeviceIds = new string[count];
        ImageOf = new int[count];
        ConfigurationOf = new int[count];
        GroupsOf = new int[count];
        Hosts = new string?[count];
        WindowsOf = new string?[count];
        var calendars = new Dictionary<string, MaintenanceCalendar>(StringComparer.Ordinal);
        positions = new Dictionary<string, int>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var device = target.Devices[i];
            DeviceIds[i] = device.Id;
            positions[device.Id] = i;
            Hosts[i] = device.Host;
            if (!images.TryGetValue(device.Image, out var image))
            {
                image = images.Count;
                images[device.Image] = image;
            }

            ImageOf[i] = image;
            ConfigurationOf[i] = device.Configuration is null ? -1 : configurationIndex[device.Configuration];
            var key = string.Join('\n', device.Groups);
            if (!groups.TryGetValue(key, out var group))
            {
                group = groupLists.Count;
                groups[key] = group;
                groupLists.Add(device.Groups);
            }

            GroupsOf[i] = group;
            WindowsOf[i] = CalendarKey(device.Windows, calendars);
        }

        Calendars = calendars;

        Images = images.OrderBy(kv => kv.Value).Select(kv => kv.Key).ToArray();
        GroupLists = groupLists;
    }

    public long Generation { get; }

    public string Branch { get; }

    public CommitInfo Commit { get; }

    public string ContentHash { get; }

    public RolloutPolicy Policy { get; }

    public bool CorrectDrift { get; }

    public bool AutoAccept { get; }

    public IReadOnlyDictionary<string, IReadOnlyList<string>> DependsOn { get; }

    public IReadOnlyList<TargetAdmission> Admissions { get; }

    public IReadOnlyList<TargetProblem> Problems { get; }

    /// <summary><c>paused: true</c> in gitfleet.yml.</summary>
    public bool Paused { get; }

    /// <summary>Set when this target reverts a rollout (an abort rule with <c>revert</c>).</summary>
    public TargetRevert? RevertOf { get; }

    /// <summary>Images installed even where devices report them (<c>images.NAME.force</c>).</summary>
    public IReadOnlySet<string> Forced { get; }

    /// <summary>Each device's calendar key (into <see cref="Calendars"/>), null when nothing restricts when it installs.</summary>
    public string?[] WindowsOf { get; }

    /// <summary>The maintenance calendars of the target's devices, one per distinct set of windows.</summary>
    public IReadOnlyDictionary<string, MaintenanceCalendar> Calendars { get; }

    public int Count => DeviceIds.Length;

    public string[] DeviceIds { get; }

    public string?[] Hosts { get; }

    public int[] ImageOf { get; }

    /// <summary>Index into <see cref="Configurations"/>, or -1 when git declares no configuration for the device.</summary>
    public int[] ConfigurationOf { get; }

    public int[] GroupsOf { get; }

    public string[] Images { get; }

    public IReadOnlyList<RenderedConfiguration> Configurations { get; }

    public IReadOnlyList<IReadOnlyList<string>> GroupLists { get; }

    public string ImageFor(int device) => Images[ImageOf[device]];

    public RenderedConfiguration? ConfigurationFor(int device) => ConfigurationOf[device] < 0 ? null : Configurations[ConfigurationOf[device]];

    public IReadOnlyList<string> GroupsFor(int device) => GroupLists[GroupsOf[device]];

    public bool TryFind(string deviceId, out int position) => positions.TryGetValue(deviceId, out position);

    public bool IsForced(int device) => Forced.Count > 0 && Forced.Contains(ImageFor(device));

    /// <summary>The calendar key of a set of windows (its names, one per line; "" for blackout days alone), made once per set.</summary>
    private string? CalendarKey(IReadOnlyList<string>? windows, Dictionary<string, MaintenanceCalendar> calendars)
    {
        if (windows is not { Count: > 0 } && Policy.Blackouts.Count == 0)
        {
            return null;
        }

        var key = windows is { Count: > 0 } ? string.Join('\n', windows) : "";
        if (calendarKeys.TryGetValue(key, out var known))
        {
            return known;
        }

        calendars[key] = MaintenanceCalendar.For(WindowAssignment.Named(Policy.Windows, windows ?? []), Policy.Blackouts, Policy.TimeZone);
        calendarKeys[key] = key;
        return key;
    }

    /// <summary>Whether a device wants the same image and configuration here as in <paramref name="other"/>.</summary>
    public bool SameDesiredState(int device, TargetIndex other, int otherDevice) =>
        string.Equals(ImageFor(device), other.ImageFor(otherDevice), StringComparison.Ordinal)
        && string.Equals(ConfigurationFor(device)?.Checksum, other.ConfigurationFor(otherDevice)?.Checksum, StringComparison.Ordinal);
}
