using System.Globalization;
using System.Text;

namespace Gitfleet.Core.Tests.Variables;

/// <summary>
/// Random Ansible inventories for comparing variable resolution with ansible-inventory: nested groups (some with
/// two parents, several at one depth so that ties are resolved by name and by ansible_group_priority), hosts in
/// several groups and directly under all, inline vars at every level, group_vars and host_vars as files
/// (.yml, .yaml, .json, no extension) and as directories (nested, with hidden and backup files Ansible skips).
/// Every layer sets some of the same few variables to a value that names the layer, so a difference shows which
/// layer won. The same seed gives the same files.
/// </summary>
internal static class GeneratedInventories
{
    // Names that sort differently by case, digits and prefixes.
    private static readonly string[] GroupNames =
        ["alpha", "Beta", "beta", "gamma", "group_10", "group_2", "kiosks", "kiosks_eu", "site", "zurich", "bern", "edge", "Edge2", "west"];

    private static readonly string[] Variables = ["v0", "v1", "v2", "v3", "v4", "v5"];

    public static (string Path, string Content)[] Generate(int seed)
    {
        var random = new Random(seed);
        var files = new List<(string, string)>();
        var groups = GroupNames.OrderBy(_ => random.Next()).Take(random.Next(6, 11)).ToList();

        // A DAG: each group's parents come from the groups before it (or it hangs under all).
        var parents = new Dictionary<string, List<string>>();
        for (var i = 0; i < groups.Count; i++)
        {
            var chosen = new List<string>();
            if (i > 0 && random.Next(3) > 0)
            {
                chosen.Add(groups[random.Next(i)]);
                if (i > 1 && random.Next(4) == 0)
                {
                    chosen.Add(groups[random.Next(i)]);
                }
            }

            parents[groups[i]] = [.. chosen.Distinct()];
        }

        var hosts = Enumerable.Range(0, random.Next(4, 8)).Select(i => $"{seed:x4}{i:x4}-0000-4000-8000-{i:x12}").ToList();
        var hostGroups = hosts.ToDictionary(h => h, _ => groups.OrderBy(_ => random.Next()).Take(random.Next(0, 4)).ToList());

        var inventory = new StringBuilder("all:\n");
        inventory.Append(Vars(random, "all-inline", "  "));
        inventory.Append("  hosts:\n");
        foreach (var host in hosts.Where(h => hostGroups[h].Count == 0))
        {
            inventory.Append(CultureInfo.InvariantCulture, $"    {host}:\n{Vars(random, $"{host[..8]}-inline", "      ", vars: "")}");
        }

        inventory.Append("  children:\n");
        foreach (var root in groups.Where(g => parents[g].Count == 0))
        {
            Define(root, "    ");
        }

        // A group is defined (vars, hosts, children) under its first parent and named again under the others.
        void Define(string group, string indent)
        {
            inventory.Append(CultureInfo.InvariantCulture, $"{indent}{group}:\n");
            inventory.Append(Vars(random, $"{group}-inline", indent + "  ", priority: random.Next(4) == 0 ? random.Next(1, 4) : null));
            var members = hosts.Where(h => hostGroups[h].Contains(group)).ToList();
            if (members.Count > 0)
            {
                inventory.Append(CultureInfo.InvariantCulture, $"{indent}  hosts:\n");
                foreach (var host in members)
                {
                    inventory.Append(CultureInfo.InvariantCulture, $"{indent}    {host}:\n");
                    if (random.Next(3) == 0)
                    {
                        inventory.Append(Vars(random, $"{host[..8]}-in-{group}", indent + "      ", vars: ""));
                    }
                }
            }

            var children = groups.Where(c => parents[c].Contains(group)).ToList();
            if (children.Count > 0)
            {
                inventory.Append(CultureInfo.InvariantCulture, $"{indent}  children:\n");
                foreach (var child in children)
                {
                    if (parents[child][0] == group)
                    {
                        Define(child, indent + "    ");
                    }
                    else
                    {
                        inventory.Append(CultureInfo.InvariantCulture, $"{indent}    {child}:\n");
                    }
                }
            }
        }

        files.Add(("inventory.yml", inventory.ToString()));
        foreach (var group in groups.Prepend("all"))
        {
            if (random.Next(3) > 0)
            {
                VariableFiles(random, files, "group_vars", group);
            }
        }

        foreach (var host in hosts)
        {
            if (random.Next(3) > 0)
            {
                VariableFiles(random, files, "host_vars", host);
            }
        }

        return [.. files];
    }

    /// <summary>A group's or host's variable files, in one of the forms Ansible finds.</summary>
    private static void VariableFiles(Random random, List<(string, string)> files, string folder, string name)
    {
        var label = name.Length > 8 ? name[..8] : name;
        switch (random.Next(6))
        {
            case 0:
                files.Add(($"{folder}/{name}.yaml", Yaml(random, $"{label}-yaml")));
                break;
            case 1:
                files.Add(($"{folder}/{name}", Yaml(random, $"{label}-noext")));
                break;
            case 2:
                files.Add(($"{folder}/{name}.json", Json(random, $"{label}-json")));
                break;
            case 3:
                // A directory: files in name order, subdirectories in place; hidden and backup files skipped.
                files.Add(($"{folder}/{name}/b.yml", Yaml(random, $"{label}-dir-b")));
                files.Add(($"{folder}/{name}/a.yml", Yaml(random, $"{label}-dir-a")));
                files.Add(($"{folder}/{name}/a/z.yml", Yaml(random, $"{label}-dir-a-z")));
                files.Add(($"{folder}/{name}/B.yml", Yaml(random, $"{label}-dir-B")));
                files.Add(($"{folder}/{name}/.hidden.yml", Yaml(random, $"{label}-hidden")));
                files.Add(($"{folder}/{name}/c.yml~", Yaml(random, $"{label}-backup")));
                break;
            case 4:
                // A directory and a file: Ansible reads only the directory.
                files.Add(($"{folder}/{name}/main.yml", Yaml(random, $"{label}-dir-main")));
                files.Add(($"{folder}/{name}.yml", Yaml(random, $"{label}-beside-dir")));
                break;
            default:
                files.Add(($"{folder}/{name}.yml", Yaml(random, $"{label}-yml")));
                if (random.Next(2) == 0)
                {
                    files.Add(($"{folder}/{name}.yaml", Yaml(random, $"{label}-second-yaml")));
                }

                break;
        }
    }

    private static string Vars(Random random, string layer, string indent, string vars = "vars", int? priority = null)
    {
        var chosen = Variables.Where(_ => random.Next(2) == 0).ToList();
        if (chosen.Count == 0 && priority is null)
        {
            return "";
        }

        var text = new StringBuilder(vars.Length > 0 ? $"{indent}{vars}:\n" : "");
        var inner = vars.Length > 0 ? indent + "  " : indent;
        if (priority is { } p)
        {
            text.Append(CultureInfo.InvariantCulture, $"{inner}ansible_group_priority: {p}\n");
        }

        foreach (var variable in chosen)
        {
            text.Append(CultureInfo.InvariantCulture, $"{inner}{variable}: {Value(random, layer, variable)}\n");
        }

        return text.ToString();
    }

    private static string Yaml(Random random, string layer)
    {
        var text = new StringBuilder();
        foreach (var variable in Variables.Where(_ => random.Next(2) == 0))
        {
            text.Append(CultureInfo.InvariantCulture, $"{variable}: {Value(random, layer, variable)}\n");
        }

        if (random.Next(8) == 0)
        {
            text.Append("ansible_group_priority: 7\n"); // in a file, an ordinary variable
        }

        return text.Length == 0 ? "{}\n" : text.ToString();
    }

    private static string Json(Random random, string layer)
    {
        var entries = Variables.Where(_ => random.Next(2) == 0).Select(v => $"\"{v}\": {Value(random, layer, v)}");
        return "{" + string.Join(", ", entries) + "}\n";
    }

    /// <summary>A value that names its layer: a string, or (for v5) a map or a list, which replace rather than merge.</summary>
    private static string Value(Random random, string layer, string variable) => variable switch
    {
        "v5" when random.Next(2) == 0 => $"{{\"from\": \"{layer}\", \"{layer}\": 1}}",
        "v5" => $"[\"{layer}\", 2]",
        _ => $"\"{layer}\"",
    };
}
