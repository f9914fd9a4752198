using Gitfleet.Git;

namespace Gitfleet.TestSupport.Device;

/// <summary>
/// A device's file system in a temp dir: every path the device scripts use points in here through the GITFLEET_*
/// environment variables, so the scripts run for real without touching the machine.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DeviceSandbox : IDisposable
{
    private readonly TempDirectory directory = new("gitfleet-device");

    public DeviceSandbox()
    {
        foreach (var folder in new[] { "config", "hooks", "state", "ab", "health.d", "mender-data", "etc-mender", "trees" })
        {
            Directory.CreateDirectory(Combine(folder));
        }
    }

    public string Root => directory.Path;

    public string ConfigFile => Combine("config", "device-config.json");

    public string HooksDirectory => Combine("hooks");

    public string StateDirectory => Combine("state");

    public string AbRoot => Combine("ab");

    public string HealthDirectory => Combine("health.d");

    public string MenderData => Combine("mender-data");

    public string EtcMender => Combine("etc-mender");

    public string ArtifactInfo => Combine("etc-mender", "artifact_info");

    public string Combine(params string[] parts) => directory.Combine(parts);

    /// <summary>The environment that points the device scripts into this sandbox.</summary>
    public Dictionary<string, string?> Environment() => new()
    {
        ["PYTHONPATH"] = DeviceSources.Library,
        ["GITFLEET_CONFIG_FILE"] = ConfigFile,
        ["GITFLEET_HOOKS_DIR"] = HooksDirectory,
        ["GITFLEET_STATE_DIR"] = StateDirectory,
        ["GITFLEET_AB_ROOT"] = AbRoot,
        ["GITFLEET_AB_HEALTH_DIR"] = HealthDirectory,
        ["GITFLEET_MENDER_DATA"] = MenderData,
        ["GITFLEET_ARTIFACT_INFO"] = ArtifactInfo,
        ["GITFLEET_PLAYBOOK_CACHE"] = Combine("playbook-cache"),
        ["GITFLEET_PLAYBOOK_PACKAGES_DIR"] = Combine("packages", "usr", "share", "gitfleet-playbooks"),
        ["GITFLEET_MODULES_DIR"] = ModulesDirectory,
    };

    /// <summary>The update modules the device has (what the client's /usr/share/mender/modules/v3 is in its namespace).</summary>
    public string ModulesDirectory => Combine("share-mender", "modules", "v3");

    /// <summary>Provisions the device as running <paramref name="image"/> (Mender's artifact_info).</summary>
    public void SetArtifactInfo(string image) => File.WriteAllText(ArtifactInfo, $"artifact_name={image}\n");

    /// <summary>Writes an executable hook script into the apply-device-config.d stand-in.</summary>
    public string WriteHook(string name, string script, bool executable = true) =>
        WriteScript(Path.Combine(HooksDirectory, name), script, executable);

    public static string WriteScript(string path, string script, bool executable = true)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, script);
        File.SetUnixFileMode(path, executable
            ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            : UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    /// <summary>Runs one of the device scripts with this sandbox's environment (plus <paramref name="extra"/>).</summary>
    public Task<ProcessResult> RunAsync(
        string script, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? extra = null, string? standardInput = null)
    {
        var environment = Environment();
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            environment[key] = value;
        }

        return ProcessRunner.RunAsync(script, arguments, Root, environment, standardInput, TimeSpan.FromMinutes(2));
    }

    public void Dispose() => directory.Dispose();
}
