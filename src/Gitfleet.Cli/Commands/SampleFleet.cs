using System.Reflection;
using Gitfleet.Git;

namespace Gitfleet.Cli.Commands;

/// <summary>Writes the sample fleet (samples/fleet, embedded in the binary) as a git repository with stage branches.</summary>
internal static class SampleFleet
{
    private const string Prefix = "sample-fleet/";

    public static readonly IReadOnlyList<string> Branches = ["main", "canary", "production"];

    public static IReadOnlyDictionary<string, string> Files()
    {
        var assembly = typeof(SampleFleet).Assembly;
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            files[name[Prefix.Length..].Replace('\\', '/')] = reader.ReadToEnd();
        }

        return files;
    }

    /// <summary>Creates the repository; the directory must not exist or be empty.</summary>
    public static async Task<string> CreateAsync(string directory, CancellationToken cancellationToken)
    {
        if (Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any())
        {
            throw new CliException($"'{directory}' exists and is not empty; choose a new directory");
        }

        Directory.CreateDirectory(directory);
        foreach (var (path, content) in Files())
        {
            var full = Path.Combine(directory, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            await File.WriteAllTextAsync(full, content, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await Git(directory, cancellationToken, "init", "--quiet", "--initial-branch", "main").ConfigureAwait(false);
            await Git(directory, cancellationToken, "add", "--all").ConfigureAwait(false);
            await Git(directory, cancellationToken,
                "-c", "user.name=Gitfleet", "-c", "user.email=gitfleet@localhost", "-c", "commit.gpgsign=false",
                "commit", "--quiet", "-m", "Sample fleet from \"Managing an IoT Fleet with GitOps\"").ConfigureAwait(false);
            foreach (var branch in Branches.Skip(1))
            {
                await Git(directory, cancellationToken, "branch", branch).ConfigureAwait(false);
            }

            return (await GitCli.RunAsync(directory, ["rev-parse", "HEAD"], cancellationToken).ConfigureAwait(false)).Trim();
        }
        catch (GitCommandException e)
        {
            throw new CliException(e.Message, e);
        }
    }

    private static Task<string> Git(string directory, CancellationToken cancellationToken, params string[] arguments) =>
        GitCli.RunAsync(directory, arguments, cancellationToken);
}
