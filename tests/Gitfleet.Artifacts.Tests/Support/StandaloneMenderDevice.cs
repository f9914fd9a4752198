using System.Text.Json.Nodes;
using Gitfleet.Git;
using Gitfleet.TestSupport;

namespace Gitfleet.Artifacts.Tests.Support;

/// <summary>
/// The real Debian mender client (3.4) in standalone mode: `mender install` and `mender show-provides` against a
/// private data directory. The paths compiled into the client (/etc/mender, /usr/share/mender) are bind-mounted
/// from the test directory in a private mount namespace (needs root), so nothing outside it is touched. Update
/// modules are stand-ins that succeed without doing anything: what is tested is the client's bookkeeping of provides.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class StandaloneMenderDevice : IDisposable
{
    private readonly TempDirectory directory = new("gitfleet-device");

    public StandaloneMenderDevice(string deviceType, params string[] moduleNames)
    {
        Directory.CreateDirectory(directory.Combine("data"));
        directory.Write("etc/artifact_info", "artifact_name=factory\n");
        directory.Write("data/device_type", $"device_type={deviceType}\n");
        var config = new JsonObject
        {
            ["DeviceTypeFile"] = directory.Combine("data", "device_type"),
            ["DBus"] = new JsonObject { ["Enabled"] = false },
        };
        directory.Write("etc/mender.conf", config.ToJsonString());
        foreach (var module in moduleNames)
        {
            var path = directory.Write($"share/modules/v3/{module}", "#!/bin/sh\nexit 0\n");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public string Path => directory.Path;

    /// <summary>Installs (and, for modules without rollback, commits) an artifact file.</summary>
    public void Install(string artifactPath)
    {
        var result = Mender("install", artifactPath);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"mender install failed ({result.ExitCode}): {result.StandardError}");
        }
    }

    /// <summary>`mender show-provides` as a dictionary.</summary>
    public IReadOnlyDictionary<string, string> ShowProvides()
    {
        var result = Mender("show-provides");
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"mender show-provides failed ({result.ExitCode}): {result.StandardError}");
        }

        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('=', 2))
            .ToDictionary(parts => parts[0], parts => parts[1]);
    }

    public void Dispose() => directory.Dispose();

    private ProcessResult Mender(params string[] arguments)
    {
        var command = string.Join(' ', new[]
        {
            $"mount --bind '{directory.Combine("etc")}' /etc/mender",
            $"&& mount --bind '{directory.Combine("share")}' /usr/share/mender",
            $"&& exec mender --config '{directory.Combine("etc", "mender.conf")}' --fallback-config '{directory.Combine("none.conf")}'",
            $"--data '{directory.Combine("data")}' --no-syslog",
            string.Join(' ', arguments.Select(a => $"'{a}'")),
        });
        return ProcessRunner.RunAsync("unshare", ["--mount", "--propagation", "private", "sh", "-c", command], directory.Path, timeout: TimeSpan.FromMinutes(1))
            .GetAwaiter().GetResult();
    }
}
