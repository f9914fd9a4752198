using System.Text;
using Gitfleet.Core.Repository;

namespace Gitfleet.Git;

/// <summary>Reads the fleet files of a directory as they are on disk (validate --working-tree, before committing).</summary>
public static class WorkingTreeReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public static RepositorySnapshot Read(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var root = Path.GetFullPath(directory);
        if (!Directory.Exists(root))
        {
            throw new GitCommandException($"'{directory}' is not a directory");
        }

        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        var unreadable = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            if (relative.StartsWith(".git/", StringComparison.Ordinal) || !RepositorySnapshot.IsFleetPath(relative))
            {
                continue;
            }

            var info = new FileInfo(file);
            if (info.Length > FleetRepository.MaxFileBytes)
            {
                unreadable[relative] = $"file is {info.Length} bytes; fleet files are limited to {FleetRepository.MaxFileBytes} bytes";
                continue;
            }

            try
            {
                files[relative] = StrictUtf8.GetString(File.ReadAllBytes(file)).TrimStart('\uFEFF');
            }
            catch (DecoderFallbackException)
            {
                unreadable[relative] = "file is not UTF-8 text";
            }
        }

        return new RepositorySnapshot("working tree", null, files) { UnreadableFiles = unreadable };
    }
}
