using Gitfleet.Core.Diagnostics;
using Gitfleet.Core.Variables;
using Gitfleet.Core.Yaml;

namespace Gitfleet.Core.Loading;

/// <summary>
/// Reads group_vars/ and host_vars/ as Ansible's host_group_vars plugin finds them: for a name, the first of
/// <c>NAME</c> (a file without extension, or a directory), <c>NAME.yml</c>, <c>NAME.yaml</c>, <c>NAME.json</c>
/// that exists. A directory's files (no extension, .yml, .yaml, .json) merge in name order (byte order, as Python
/// sorts), subdirectories without an extension where they sort; names starting with '.' or ending in '~' are
/// skipped. What Ansible would not read is reported as a warning.
/// </summary>
internal sealed class VariableFileParser(YamlReader reader, VariableChecker checker)
{
    private static readonly string[] Extensions = [".yml", ".yaml", ".json"];

    public Dictionary<string, VariableSet> Parse(IReadOnlyDictionary<string, string> files, string folder, VariableLayer layer)
    {
        var tree = new FileTree(files.Keys.Where(p => p.StartsWith(folder + "/", StringComparison.Ordinal)));
        var result = new Dictionary<string, VariableSet>(StringComparer.Ordinal);
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var entry in tree.Entries(folder))
        {
            var extension = Extension(entry);
            if (tree.IsDirectory($"{folder}/{entry}") || extension.Length == 0)
            {
                names.Add(entry);
            }
            else if (Extensions.Contains(extension))
            {
                names.Add(entry[..^extension.Length]);
            }
            else
            {
                reader.Warning(DiagnosticCodes.UnknownKey, SourceLocation.OfFile($"{folder}/{entry}"), $"ignored: {folder} files end in .yml, .yaml or .json (or have no extension)");
            }
        }

        foreach (var name in names)
        {
            // The first of NAME (a directory or a file), NAME.yml, NAME.yaml, NAME.json; the others are not read.
            var found = Candidates(folder, name).Where(c => tree.IsDirectory(c) || files.ContainsKey(c)).ToList();
            var origin = found[0];
            var isDirectory = tree.IsDirectory(origin);
            foreach (var skipped in found.Skip(1))
            {
                reader.Warning(DiagnosticCodes.UnknownKey, SourceLocation.OfFile(skipped),
                    $"ignored: {origin}{(isDirectory ? "/" : "")} holds the variables of '{name}' (the first of {name}/, {name}, {name}.yml, {name}.yaml, {name}.json is read, as Ansible reads it)");
            }

            var paths = isDirectory ? tree.Files(origin) : [origin];
            if (Merge(files, folder, layer, paths) is { } merged)
            {
                result[name] = new VariableSet(paths.Count == 1 ? paths[0] : origin + "/", merged);
            }
        }

        return result;
    }

    private static IEnumerable<string> Candidates(string folder, string name) =>
        new[] { "" }.Concat(Extensions).Select(extension => $"{folder}/{name}{extension}");

    /// <summary>Python's os.path.splitext: the extension of a name, "" for none (a leading dot does not count).</summary>
    private static string Extension(string fileName)
    {
        var dot = fileName.LastIndexOf('.');
        return dot <= 0 || fileName[..dot].All(c => c == '.') ? "" : fileName[dot..];
    }

    private YamlMap? Merge(IReadOnlyDictionary<string, string> files, string folder, VariableLayer layer, List<string> paths)
    {
        YamlMap? merged = null;
        foreach (var path in paths)
        {
            var root = reader.Parse(path, files[path], out var ok);
            if (!ok || root is null)
            {
                continue;
            }

            if (root is not YamlMap map)
            {
                reader.Error(DiagnosticCodes.WrongType, SourceLocation.OfFile(path), $"a {folder} file must be a mapping of variable names to values, not {YamlReader.Describe(root)}");
                continue;
            }

            checker.Check(map, layer);
            if (merged is null)
            {
                merged = map;
                continue;
            }

            foreach (var (key, value) in map)
            {
                merged[key] = value;
                merged.KeyLocations[key] = map.KeyLocation(key);
                merged.ValueLocations[key] = map.ValueLocation(key);
            }
        }

        return merged;
    }

    /// <summary>The directories and entries under a folder, for finding files as Ansible walks directories.</summary>
    private sealed class FileTree
    {
        private readonly Dictionary<string, SortedSet<string>> entries = new(StringComparer.Ordinal);

        public FileTree(IEnumerable<string> paths)
        {
            foreach (var path in paths)
            {
                for (var slash = path.LastIndexOf('/'); slash > 0; slash = path.LastIndexOf('/', slash - 1))
                {
                    var directory = path[..slash];
                    if (!entries.TryGetValue(directory, out var names))
                    {
                        names = new SortedSet<string>(StringComparer.Ordinal);
                        entries[directory] = names;
                    }

                    var end = path.IndexOf('/', slash + 1);
                    if (!names.Add(end < 0 ? path[(slash + 1)..] : path[(slash + 1)..end]))
                    {
                        break; // the rest of this path's directories are known
                    }
                }
            }
        }

        public bool IsDirectory(string path) => entries.ContainsKey(path);

        public IEnumerable<string> Entries(string directory) => entries.GetValueOrDefault(directory) ?? [];

        /// <summary>A directory's variable files, depth first in name order, as Ansible's _get_dir_vars_files lists them.</summary>
        public List<string> Files(string directory)
        {
            var found = new List<string>();
            foreach (var entry in Entries(directory))
            {
                var path = $"{directory}/{entry}";
                var extension = Extension(entry);
                if (entry.StartsWith('.') || entry.EndsWith('~'))
                {
                    continue; // hidden files and backups
                }

                if (IsDirectory(path))
                {
                    if (extension.Length == 0)
                    {
                        found.AddRange(Files(path));
                    }
                }
                else if (extension.Length == 0 || Extensions.Contains(extension))
                {
                    found.Add(path);
                }
            }

            return found;
        }
    }
}
