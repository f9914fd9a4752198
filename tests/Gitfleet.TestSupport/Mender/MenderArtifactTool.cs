using Gitfleet.Git;

namespace Gitfleet.TestSupport.Mender;

/// <summary>Builds artifacts with the real mender-artifact 3.9.</summary>
public static class MenderArtifactTool
{
    /// <summary>A single-file artifact that installs <paramref name="fileName"/> into <paramref name="destination"/> (defaults to the harness's shared one).</summary>
    public static async Task<string> WriteSingleFileAsync(
        string outputDirectory, string artifactName, string deviceType, string fileName = "hello.txt", string? content = null, string? destination = null)
    {
        var work = Path.Combine(outputDirectory, artifactName + "-" + deviceType + "-payload");
        Directory.CreateDirectory(work);
        await File.WriteAllTextAsync(Path.Combine(work, "dest_dir"), destination ?? MenderClientHarness.SharedDestination).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(work, "filename"), fileName).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(work, fileName), content ?? $"{artifactName}\n").ConfigureAwait(false);
        return await WriteModuleAsync(outputDirectory, artifactName, deviceType, "single-file",
            [Path.Combine(work, "dest_dir"), Path.Combine(work, "filename"), Path.Combine(work, fileName)]).ConfigureAwait(false);
    }

    /// <summary>A module-image artifact of <paramref name="moduleType"/> with the given payload files.</summary>
    public static async Task<string> WriteModuleAsync(string outputDirectory, string artifactName, string deviceType, string moduleType, IReadOnlyList<string> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var output = Path.Combine(outputDirectory, $"{artifactName}-{deviceType}.mender");
        var arguments = new List<string> { "write", "module-image", "-T", moduleType, "-t", deviceType, "-n", artifactName, "-o", output };
        foreach (var file in files)
        {
            arguments.Add("-f");
            arguments.Add(file);
        }

        var result = await ProcessRunner.RunAsync("mender-artifact", arguments, timeout: TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"mender-artifact failed: {result.StandardError}{result.StandardOutput}");
        }

        return output;
    }

    /// <summary>An update module script that fails ArtifactInstall, printing <paramref name="message"/> to stderr.</summary>
    public static string FailingModule(string message) => $"""
        #!/bin/sh
        case "$1" in
          ArtifactInstall)
            echo "{message}" >&2
            exit 1
            ;;
        esac
        exit 0
        """ + "\n";
}
