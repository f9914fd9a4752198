using Gitfleet.TestSupport.Mender;

namespace Gitfleet.EndToEnd.Tests.Support;

/// <summary>
/// A test that needs root, the real Mender client and the device package's tools. Skipped, with the reason, where
/// they are missing, except under CI=true: there scripts/prerequisites.sh installed them, so a missing tool fails.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class EndToEndFactAttribute : FactAttribute
{
    private static readonly string[] Tools =
        ["/usr/bin/dbus-daemon", "/usr/bin/ansible-playbook", "/usr/bin/git", "/usr/bin/python3", "/usr/sbin/nginx", "/usr/bin/xdelta3", "/usr/sbin/mkfs.ext4"];

    public EndToEndFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("CI") != "true" && Unavailable() is { } reason)
        {
            Skip = reason;
        }
    }

    public static string? Unavailable() =>
        MenderClientHarness.Unavailable()
        ?? Tools.Where(tool => !File.Exists(tool)).Select(tool => $"{tool} is missing (scripts/prerequisites.sh installs it)").FirstOrDefault();
}
