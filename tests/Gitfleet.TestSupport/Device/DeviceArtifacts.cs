using System.Text.Json;
using Gitfleet.Git;
using Shouldly;

namespace Gitfleet.TestSupport.Device;

/// <summary>Builds real artifacts with mender-artifact, as the Gitfleet server and CI would.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class DeviceArtifacts
{
    /// <summary>A configuration artifact exactly like Mender's deviceconfig sends: type mender-configure, no files,
    /// the configuration as header meta-data.</summary>
    public static async Task<string> ConfigurationAsync(DeviceSandbox sandbox, string name, IReadOnlyDictionary<string, string> configuration)
    {
        var metaData = sandbox.Combine($"{name}.meta-data.json");
        await File.WriteAllTextAsync(metaData, JsonSerializer.Serialize(configuration));
        var output = sandbox.Combine($"{name}.mender");
        var result = await ProcessRunner.RunAsync("mender-artifact",
            ["write", "module-image", "-T", "mender-configure", "-n", name, "-t", MenderClient.DeviceType, "-m", metaData, "-o", output]);
        result.ExitCode.ShouldBe(0, result.StandardError);
        return output;
    }

    /// <summary>An OS artifact built by device/tools/gitfleet-make-os-artifact.</summary>
    public static Task<string> OperatingSystemAsync(DeviceSandbox sandbox, string name, params string[] options) =>
        OperatingSystemAsync(sandbox.Combine($"{name}.mender"), name, MenderClient.DeviceType, options);

    /// <summary>An OS artifact for <paramref name="deviceType"/> written to <paramref name="output"/>.</summary>
    public static async Task<string> OperatingSystemAsync(string output, string name, string deviceType, params string[] options)
    {
        var result = await RunToolAsync(["--name", name, "--device-type", deviceType, "--output", output, .. options]);
        result.ExitCode.ShouldBe(0, result.StandardError);
        result.StandardOutput.Trim().ShouldBe(output);
        return output;
    }

    public static Task<ProcessResult> RunToolAsync(IEnumerable<string> arguments) =>
        ProcessRunner.RunAsync(DeviceSources.Tool("gitfleet-make-os-artifact"), arguments, timeout: TimeSpan.FromMinutes(1));

    /// <summary>What `mender-artifact read` says the artifact's payload provides.</summary>
    public static async Task<string> ReadAsync(string artifact)
    {
        var result = await ProcessRunner.RunAsync("mender-artifact", ["read", artifact]);
        result.ExitCode.ShouldBe(0, result.StandardError);
        return result.StandardOutput;
    }
}
