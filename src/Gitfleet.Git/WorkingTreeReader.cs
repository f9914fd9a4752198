using System.Text;
using Gitfleet.Core.Repository;

namespace Gitfleet.Git;

/// <summary>
/// Reads the fleet files of a directory as they are on disk (validate --working-tree, before committing). Only files
/// inside the directory are read: a symbolic link whose target leaves it (group_vars/extra.yml -> /etc/passwd) is a
/// diagnostic naming the link, and its target is never opened, so nothing of it can appear in the output. Links
/// inside the repository are followed for files; linked directories are not descended (no loops, no escapes).
/// </summary>
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

        var realRoot = RealPath(new DirectoryInfo(root));
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        var unreadable = new Dictionary<string, string>(StringComparer.Ordinal);
        var links = new Dictionary<string, string>(StringComparer.Ordinal);
        var pending = new Stack<DirectoryInfo>([new DirectoryInfo(root)]);
        while (pending.TryPop(out var current))
        {
            foreach (var entry in current.EnumerateFileSystemInfos())
            {
                var relative = Path.GetRelativePath(root, entry.FullName).Replace('\\', '/');
                if (relative == ".git" || relative.StartsWith(".git/", StringComparison.Ordinal))
                {
                    continue;
                }

                if (entry is DirectoryInfo subdirectory)
                {
                    if (subdirectory.LinkTarget is null)
                    {
                        pending.Push(subdirectory);
                    }
                    else if (RepositorySnapshot.IsFleetPath(relative + "/x") && !Inside(realRoot, RealPath(subdirectory)))
                    {
                        links[relative] = $"{relative} is a symbolic link to a directory outside the repository; --working-tree reads only files inside it";
                    }

                    continue;
                }

                if (!RepositorySnapshot.IsFleetPath(relative))
                {
                    continue;
                }

                var file = (FileInfo)entry;
                if (file.LinkTarget is not null)
                {
                    var target = file.ResolveLinkTarget(returnFinalTarget: true);
                    if (target is not FileInfo { Exists: true } resolved || !Inside(realRoot, RealPath(resolved)))
                    {
                        links[relative] = $"{relative} is a symbolic link to a file outside the repository (or to nothing); --working-tree reads only files inside it";
                        continue;
                    }

                    file = resolved;
                }

                if (file.Length > FleetRepository.MaxFileBytes)
                {
                    unreadable[relative] = $"file is {file.Length} bytes; fleet files are limited to {FleetRepository.MaxFileBytes} bytes";
                    continue;
                }

                try
                {
                    files[relative] = StrictUtf8.GetString(File.ReadAllBytes(file.FullName)).TrimStart('\uFEFF');
                }
                catch (DecoderFallbackException)
                {
                    unreadable[relative] = "file is not UTF-8 text";
                }
            }
        }

        return new RepositorySnapshot("working tree", null, files) { UnreadableFiles = unreadable, Links = links };
    }

    /// <summary>The path with every symbolic link along it resolved (what the kernel opens).</summary>
    private static string RealPath(FileSystemInfo info)
    {
        var parts = new Stack<string>();
        var current = info;
        for (var guard = 0; guard < 256; guard++)
        {
            if (current.LinkTarget is not null && current.ResolveLinkTarget(returnFinalTarget: true) is { } target)
            {
                current = target;
                continue;
            }

            var parent = current is DirectoryInfo directory ? directory.Parent : ((FileInfo)current).Directory;
            if (parent is null)
            {
                parts.Push(current.FullName.TrimEnd(Path.DirectorySeparatorChar));
                break;
            }

            parts.Push(current.Name);
            current = parent;
        }

        return Path.GetFullPath(string.Join(Path.DirectorySeparatorChar, parts));
    }

    private static bool Inside(string root, string path) =>
        path == root || path.StartsWith(root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
