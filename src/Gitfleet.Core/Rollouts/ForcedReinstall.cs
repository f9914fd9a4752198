namespace Gitfleet.Core.Rollouts;

/// <summary>
/// A rollout device enrolled by <c>images.NAME.force</c>: it runs the image already and gets it again, once per
/// rollout. The mark is the row's reason (kept in the store, so a restart does not settle it as done).
/// </summary>
public static class ForcedReinstall
{
    private const string Prefix = "forced reinstall of ";

    public static string Reason(string image) => Prefix + image + " (images." + image + ".force in gitfleet.yml)";

    public static bool Is(RolloutDeviceRecord row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return row.State is RolloutDeviceState.Waiting or RolloutDeviceState.Scheduled && row.LastError?.StartsWith(Prefix, StringComparison.Ordinal) == true;
    }
}
