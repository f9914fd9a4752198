using System.Text.Json;

namespace Gitfleet.Device.Tests.Support;

/// <summary>
/// Builds the file tree the Mender client hands an update module (protocol v3, as mender 3.4 lays it out:
/// header/{artifact_name,payload_type,header-info,type-info,meta-data}, files/, tmp/), for calling a module
/// directly with a state name.
/// </summary>
internal static class ModuleTree
{
    private static int counter;

    public static string Create(
        DeviceSandbox sandbox,
        string payloadType,
        string artifactName,
        string? metaData = null,
        IReadOnlyDictionary<string, string>? provides = null,
        IReadOnlyDictionary<string, string>? files = null)
    {
        var tree = sandbox.Combine("trees", $"{Interlocked.Increment(ref counter):0000}", "tree");
        Directory.CreateDirectory(Path.Combine(tree, "header"));
        Directory.CreateDirectory(Path.Combine(tree, "tmp"));
        File.WriteAllText(Path.Combine(tree, "version"), "3");
        File.WriteAllText(Path.Combine(tree, "header", "artifact_name"), artifactName);
        File.WriteAllText(Path.Combine(tree, "header", "payload_type"), payloadType);
        File.WriteAllText(Path.Combine(tree, "header", "header-info"), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["payloads"] = new[] { new Dictionary<string, string> { ["type"] = payloadType } },
            ["artifact_provides"] = new Dictionary<string, string> { ["artifact_name"] = artifactName },
        }));
        File.WriteAllText(Path.Combine(tree, "header", "type-info"), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["type"] = payloadType,
            ["artifact_provides"] = provides ?? new Dictionary<string, string>(),
        }));
        if (metaData is not null)
        {
            File.WriteAllText(Path.Combine(tree, "header", "meta-data"), metaData);
        }

        if (files is not null)
        {
            Directory.CreateDirectory(Path.Combine(tree, "files"));
            foreach (var (name, path) in files)
            {
                File.Copy(path, Path.Combine(tree, "files", name));
            }
        }

        return tree;
    }
}
