using System.Globalization;
using System.Text;
using Gitfleet.Core.Repository;

namespace Gitfleet.Git;

/// <summary>A device that failed in the rollout being reverted, and why (from the server's branch status).</summary>
public sealed record FailedDevice(string Device, string Reason);

/// <summary>The commit message of a revert prepared by <c>gitfleet revert</c>: git's own first lines, then why.</summary>
public static class RevertMessage
{
    /// <summary>Devices named in the message at most (the count is always complete).</summary>
    public const int MaxDevices = 50;

    /// <param name="failedCount">How many devices failed in all (the list may hold only the first ones).</param>
    public static string Build(CommitInfo reverted, string branch, IReadOnlyList<FailedDevice>? failed, int failedCount, int? totalDevices)
    {
        ArgumentNullException.ThrowIfNull(reverted);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Revert \"{reverted.Subject}\"\n\n");
        text.Append(CultureInfo.InvariantCulture, $"This reverts commit {reverted.Sha}, rolled out on {branch}.\n");
        text.Append(CultureInfo.InvariantCulture, $"Prepared by `gitfleet revert --branch {branch}`; merge it into {branch} through a merge\n");
        text.Append("request to put the stage's devices back on the previous desired state.\n");
        if (failed is null)
        {
            text.Append("\nNo server was asked: the failing devices are not listed.\n");
        }
        else if (failedCount == 0)
        {
            text.Append("\nThe server reported no failed devices.\n");
        }
        else
        {
            var of = totalDevices is { } total ? $" of {total}" : "";
            text.Append(CultureInfo.InvariantCulture, $"\nFailed devices ({failedCount}{of}):\n");
            foreach (var device in failed.Take(MaxDevices))
            {
                text.Append(CultureInfo.InvariantCulture, $"- {device.Device}: {OneLine(device.Reason)}\n");
            }

            if (failedCount > Math.Min(failed.Count, MaxDevices))
            {
                text.Append(CultureInfo.InvariantCulture, $"- ... and {failedCount - Math.Min(failed.Count, MaxDevices)} more (gitfleet status --branch {branch})\n");
            }
        }

        text.Append(CultureInfo.InvariantCulture, $"\nGitfleet-Reverts: {reverted.Sha}\nGitfleet-Branch: {branch}\n");
        return text.ToString();
    }

    private static string OneLine(string text)
    {
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length > 300 ? line[..297] + "..." : line;
    }
}
