using System.Reflection;
using Gitfleet.Git;

namespace Gitfleet.Cli.Commands;

/// <summary>Writes the sample fleet (samples/fleet, embedded in the binary) as a git repository with stage branches.</summary>
internal static class SampleFleet
{
    private const string Prefix = "sample-fleet/";

    public static readonly IReadOnlyList<string> Branches = ["main", "canary", "production"];

    public const string Subject = "Sample fleet from \"Managing an IoT Fleet with GitOps\"";

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

        try
        {
            return await new FleetRepositoryWriter(directory).CreateAsync(Files(), Branches, Subject, cancellationToken).ConfigureAwait(false);
        }
        catch (GitCommandException e)
        {
            throw new CliException(e.Message, e);
        }
    }
}
