using Gitfleet.Core.Diagnostics;
using Gitfleet.Core.Variables;
using Gitfleet.Core.Yaml;

namespace Gitfleet.Core.Loading;

/// <summary>
/// Reads group_vars/ and host_vars/: <c>NAME.yml</c>, <c>NAME.yaml</c>, <c>NAME</c>, or a directory <c>NAME/</c>
/// whose YAML files are merged in lexical order (as Ansible does).
/// </summary>
internal sealed class VariableFileParser(YamlReader reader, VariableChecker checker)
{
    public Dictionary<string, VariableSet> Parse(IReadOnlyDictionary<string, string> files, string folder, VariableLayer layer)
    {
        var prefix = folder + "/";
        var byName = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var path in files.Keys)
        {
            if (!path.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var rest = path[prefix.Length..];
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            string name;
            if (slash < 0)
            {
                name = StripExtension(rest, out var isYaml);
                if (!isYaml && rest.Contains('.', StringComparison.Ordinal))
                {
                    reader.Warning(DiagnosticCodes.UnknownKey, SourceLocation.OfFile(path), $"ignored: {folder} files end in .yml or .yaml");
                    continue;
                }
            }
            else
            {
                name = rest[..slash];
                StripExtension(rest[(slash + 1)..], out var isYaml);
                if (!isYaml)
                {
                    continue;
                }
            }

            if (!byName.TryGetValue(name, out var list))
            {
                list = [];
                byName[name] = list;
            }

            list.Add(path);
        }

        var result = new Dictionary<string, VariableSet>(StringComparer.Ordinal);
        foreach (var (name, paths) in byName)
        {
            paths.Sort(StringComparer.Ordinal);
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

            if (merged is not null)
            {
                result[name] = new VariableSet(paths.Count == 1 ? paths[0] : $"{prefix}{name}/", merged);
            }
        }

        return result;
    }

    private static string StripExtension(string fileName, out bool isYaml)
    {
        foreach (var extension in new[] { ".yml", ".yaml" })
        {
            if (fileName.EndsWith(extension, StringComparison.Ordinal))
            {
                isYaml = true;
                return fileName[..^extension.Length];
            }
        }

        isYaml = !fileName.Contains('.', StringComparison.Ordinal);
        return fileName;
    }
}
