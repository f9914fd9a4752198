using Gitfleet.Core.Diagnostics;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Repository;
using Gitfleet.Core.Yaml;

namespace Gitfleet.Core.Loading;

/// <summary>
/// Turns the files of one commit into a <see cref="FleetRevision"/>, collecting every problem on the way.
/// The revision is built even when files are broken (broken parts are left out) so the validator can still
/// report what else is wrong; <see cref="FleetLoader"/> decides whether it may be used.
/// </summary>
internal static class FleetParser
{
    public static FleetRevision Parse(RepositorySnapshot snapshot, List<Diagnostic> diagnostics, YamlBudget? budget = null)
    {
        var reader = new YamlReader(diagnostics, budget);
        var checker = new VariableChecker(reader);
        var files = snapshot.Files;
        foreach (var (path, reason) in snapshot.UnreadableFiles)
        {
            reader.Error(DiagnosticCodes.Encoding, SourceLocation.OfFile(path), reason);
        }

        foreach (var (path, reason) in snapshot.Links)
        {
            reader.Error(DiagnosticCodes.SymbolicLink, SourceLocation.OfFile(path), reason);
        }

        var inventoryPath = files.ContainsKey("inventory.yml") ? "inventory.yml" : files.ContainsKey("inventory.yaml") ? "inventory.yaml" : null;
        Inventory inventory;
        if (inventoryPath is null)
        {
            reader.Error(DiagnosticCodes.MissingInventory, SourceLocation.OfFile("inventory.yml"),
                "the repository has no inventory.yml: it declares the fleet's devices and groups (see docs/fleet-repository.md)");
            inventory = new InventoryParser(reader, checker).Parse("inventory.yml", new YamlMap(SourceLocation.OfFile("inventory.yml")));
        }
        else
        {
            var root = reader.Parse(inventoryPath, files[inventoryPath], out _);
            inventory = new InventoryParser(reader, checker).Parse(inventoryPath, root);
        }

        var settings = FleetSettings.Default;
        var settingsPath = files.ContainsKey("gitfleet.yml") ? "gitfleet.yml" : files.ContainsKey("gitfleet.yaml") ? "gitfleet.yaml" : null;
        if (settingsPath is not null)
        {
            var root = reader.Parse(settingsPath, files[settingsPath], out var ok);
            if (ok)
            {
                settings = new SettingsParser(reader).Parse(settingsPath, root);
            }
        }

        var variableFiles = new VariableFileParser(reader, checker);
        var templates = files
            .Where(f => f.Key.StartsWith("templates/", StringComparison.Ordinal))
            .ToDictionary(
                f => f.Key["templates/".Length..],
                f => new ConfigurationTemplate(f.Key["templates/".Length..], f.Key, f.Value),
                StringComparer.Ordinal);

        return new FleetRevision
        {
            Ref = snapshot.Ref,
            Commit = snapshot.Commit,
            Inventory = inventory,
            GroupVars = variableFiles.Parse(files, "group_vars", VariableLayer.Group),
            HostVars = variableFiles.Parse(files, "host_vars", VariableLayer.Host),
            Overlays = new OverlayParser(reader, checker).Parse(files),
            Templates = templates,
            Settings = settings,
            ContentHash = snapshot.ComputeContentHash(),
        };
    }
}
