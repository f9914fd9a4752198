using Gitfleet.Git;

namespace Gitfleet.Artifacts.Tests.Support;

/// <summary>Runs the real command-line tools the tests compare against: mender-artifact 3.9 and openssl.</summary>
internal static class Tools
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <summary>Runs mender-artifact; throws with its output when it fails.</summary>
    public static string MenderArtifact(string workingDirectory, params string[] arguments) =>
        Run("mender-artifact", workingDirectory, arguments);

    /// <summary>Runs mender-artifact and returns the result whether it succeeds or not.</summary>
    public static ProcessResult TryMenderArtifact(string workingDirectory, params string[] arguments) =>
        ProcessRunner.RunAsync("mender-artifact", arguments, workingDirectory, timeout: Timeout).GetAwaiter().GetResult();

    public static string Openssl(string workingDirectory, params string[] arguments) =>
        Run("openssl", workingDirectory, arguments);

    private static string Run(string program, string workingDirectory, string[] arguments)
    {
        var result = ProcessRunner.RunAsync(program, arguments, workingDirectory, timeout: Timeout).GetAwaiter().GetResult();
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(
                $"{program} {string.Join(' ', arguments)} failed ({result.ExitCode}): {result.StandardError}{result.StandardOutput}");
        }

        return result.StandardOutput + result.StandardError;
    }
}
