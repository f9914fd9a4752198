using System.Text.Json;
using Gitfleet.Git;

namespace Gitfleet.Device.Tests.Support;

/// <summary>
/// The real Debian mender-client in standalone mode, run in a private mount namespace so /etc/mender and
/// /usr/share/mender are this sandbox's (with Gitfleet's modules from the source tree); its data dir is the
/// sandbox's. The modules inherit the environment, which points the rest of their paths into the sandbox.
/// </summary>
internal sealed class MenderClient
{
    public const string DeviceType = "gitfleet-test";

    private const string NamespaceScript =
        "mount --bind \"$1\" /etc/mender && mount --bind \"$2\" /usr/share/mender && shift 2 && exec \"$@\"";

    private readonly DeviceSandbox sandbox;

    public MenderClient(DeviceSandbox sandbox, string provisionedImage)
    {
        this.sandbox = sandbox;
        sandbox.SetArtifactInfo(provisionedImage);
        File.WriteAllText(Path.Combine(sandbox.MenderData, "device_type"), $"device_type={DeviceType}\n");
        File.WriteAllText(Path.Combine(sandbox.EtcMender, "mender.conf"), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["DeviceTypeFile"] = Path.Combine(sandbox.MenderData, "device_type"),
            ["DBus"] = new Dictionary<string, bool> { ["Enabled"] = false },
        }));
        var modules = sandbox.Combine("share-mender", "modules", "v3");
        Directory.CreateDirectory(modules);
        Directory.CreateDirectory(sandbox.Combine("share-mender", "inventory"));
        Directory.CreateDirectory(sandbox.Combine("share-mender", "identity"));
        foreach (var module in new[] { "mender-configure", "gitfleet-ab" })
        {
            File.CreateSymbolicLink(Path.Combine(modules, module), DeviceSources.Module(module));
        }
    }

    public Task<ProcessResult> InstallAsync(string artifact) => RunAsync("install", artifact);

    public Task<ProcessResult> CommitAsync() => RunAsync("commit");

    public Task<ProcessResult> RollbackAsync() => RunAsync("rollback");

    public async Task<Dictionary<string, string>> ShowProvidesAsync()
    {
        var result = await RunAsync("show-provides");
        result.ExitCode.ShouldBe(0, result.StandardError);
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);
    }

    public Task<ProcessResult> RunAsync(params string[] command)
    {
        var environment = sandbox.Environment();
        // As on a device: the modules find the data dir from their file tree and artifact_info at its fixed path.
        environment["GITFLEET_MENDER_DATA"] = null;
        environment["GITFLEET_ARTIFACT_INFO"] = null;
        string[] arguments =
        [
            "--mount", "--propagation", "private", "sh", "-c", NamespaceScript, "sh",
            sandbox.EtcMender, sandbox.Combine("share-mender"),
            "mender", "--no-syslog", "--data", sandbox.MenderData, .. command,
        ];
        return ProcessRunner.RunAsync("unshare", arguments, sandbox.Root, environment, timeout: TimeSpan.FromMinutes(2));
    }
}
