using System.Text.RegularExpressions;

namespace Gitfleet.Git;

/// <summary>Runs the git CLI non-interactively (no prompts, C locale, no pager) and turns failures into exceptions.</summary>
public static partial class GitCli
{
    public static readonly IReadOnlyDictionary<string, string?> Environment = new Dictionary<string, string?>
    {
        ["GIT_TERMINAL_PROMPT"] = "0",
        ["GIT_ASKPASS"] = "echo",
        ["SSH_ASKPASS"] = "echo",
        ["GCM_INTERACTIVE"] = "never",
        ["LC_ALL"] = "C",
        ["GIT_PAGER"] = "cat",
    };

    public static async Task<string> RunAsync(string gitDirectory, IEnumerable<string> arguments, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        var args = new List<string> { "-C", gitDirectory };
        args.AddRange(arguments);
        ProcessResult result;
        try
        {
            result = await ProcessRunner.RunAsync("git", args, environment: Environment, timeout: timeout ?? TimeSpan.FromMinutes(10), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            throw new GitCommandException($"cannot run git: {e.Message} (install it with 'apt-get install git')", e);
        }
        catch (TimeoutException e)
        {
            throw new GitCommandException($"git {Describe(arguments)} timed out", e);
        }

        if (!result.Succeeded)
        {
            throw new GitCommandException($"git {Describe(arguments)} failed: {RedactUrls(result.StandardError.Trim())}");
        }

        return result.StandardOutput;
    }

    /// <summary>Removes credentials from URLs (https://user:token@host → https://***@host).</summary>
    public static string RedactUrls(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Credentials().Replace(text, "$1***@");
    }

    private static string Describe(IEnumerable<string> arguments) =>
        RedactUrls(string.Join(' ', arguments.Take(3)));

    [GeneratedRegex(@"([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")]
    private static partial Regex Credentials();
}
