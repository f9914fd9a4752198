using Gitfleet.Git;

namespace Gitfleet.TestSupport.Mender;

/// <summary>Runs the real mender-cli 1.9 against a server, with its own HOME (the token cache lives there).</summary>
public sealed class MenderCliTool(string serverUrl) : IDisposable
{
    private readonly TempDirectory home = new("gitfleet-mender-cli");

    public async Task<ProcessResult> RunAsync(params string[] arguments)
    {
        var all = new List<string> { "--server", serverUrl, "--skip-verify" };
        all.AddRange(arguments);
        return await ProcessRunner.RunAsync("mender-cli", all, home.Path,
            new Dictionary<string, string?> { ["HOME"] = home.Path }, timeout: TimeSpan.FromSeconds(60)).ConfigureAwait(false);
    }

    public void Dispose() => home.Dispose();
}
