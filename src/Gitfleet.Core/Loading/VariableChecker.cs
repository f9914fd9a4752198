using System.Text.RegularExpressions;
using Gitfleet.Core.Diagnostics;
using Gitfleet.Core.Variables;
using Gitfleet.Core.Yaml;

namespace Gitfleet.Core.Loading;

/// <summary>Where a block of variables was written; some reserved variables only make sense at some levels.</summary>
internal enum VariableLayer
{
    Group,
    Host,
    Overlay,
}

/// <summary>
/// Checks the reserved variables wherever they appear (types, required keys, unknown keys, contradictions)
/// and warns about names that look like a misspelt reserved variable.
/// </summary>
internal sealed partial class VariableChecker(YamlReader reader)
{
    private static readonly string[] OsImageKeys = ["device_type", "image_name"];
    private static readonly string[] ConfigurationKeys = ["template", "parameters"];

    public void Check(YamlMap vars, VariableLayer layer)
    {
        foreach (var (name, value) in vars)
        {
            var location = vars.KeyLocation(name);
            switch (name)
            {
                case ReservedVariables.SubscribedBranch:
                    CheckBranch(vars, name);
                    break;
                case ReservedVariables.OsImage:
                    CheckOsImage(vars);
                    break;
                case ReservedVariables.Configuration:
                    CheckConfiguration(vars);
                    break;
                case ReservedVariables.Labels:
                    if (layer == VariableLayer.Overlay)
                    {
                        reader.Error(DiagnosticCodes.Contradiction, location, "an overlay cannot set 'labels': overlays are selected by labels, so this would be circular");
                    }
                    else
                    {
                        CheckLabels(vars);
                    }

                    break;
                case ReservedVariables.Identity:
                    if (layer != VariableLayer.Host)
                    {
                        reader.Error(DiagnosticCodes.Contradiction, location, "'identity' names one device: declare it for a host (inventory host entry or host_vars), not for a group or overlay");
                    }
                    else if (reader.StringMap(vars, name, "the host") is { Count: 0 })
                    {
                        reader.Error(DiagnosticCodes.InvalidValue, vars.ValueLocation(name), "'identity' needs at least one attribute, for example mac or serialno");
                    }

                    break;
                case ReservedVariables.PublicKey:
                    if (layer != VariableLayer.Host)
                    {
                        reader.Error(DiagnosticCodes.Contradiction, location, "'public_key' belongs to one device: declare it for a host, not for a group or overlay");
                    }
                    else if (reader.String(vars, name, "the host") is { } key && !key.TrimStart().StartsWith("-----BEGIN PUBLIC KEY-----", StringComparison.Ordinal))
                    {
                        reader.Error(DiagnosticCodes.InvalidValue, vars.ValueLocation(name), "'public_key' must be a PEM public key starting with '-----BEGIN PUBLIC KEY-----'");
                    }

                    break;
                case ReservedVariables.DeviceType:
                    reader.String(vars, name, "the variables", required: true);
                    break;
                default:
                    if (DidYouMean.Suggest(name, ReservedVariables.All) is { } reserved && reserved != name)
                    {
                        reader.Warning(DiagnosticCodes.SuspiciousVariable, location, $"variable '{name}' is not used by Gitfleet; did you mean the reserved variable '{reserved}'?");
                    }

                    break;
            }
        }
    }

    private void CheckBranch(YamlMap vars, string name)
    {
        if (vars[name] is null)
        {
            return; // Explicitly none: only a server-side subscribed_branch tag subscribes the device.
        }

        if (reader.String(vars, name, "the variables", required: true) is { } branch && !BranchName().IsMatch(branch))
        {
            reader.Error(DiagnosticCodes.InvalidValue, vars.ValueLocation(name), $"'{branch}' is not a valid git branch name");
        }
    }

    private void CheckOsImage(YamlMap vars)
    {
        if (reader.List(vars, ReservedVariables.OsImage, "the variables") is not { } list)
        {
            if (vars[ReservedVariables.OsImage] is null)
            {
                reader.Error(DiagnosticCodes.WrongType, vars.ValueLocation(ReservedVariables.OsImage), "'os_image' must be a list of {device_type, image_name}");
            }

            return;
        }

        var seen = new Dictionary<string, (string Image, SourceLocation Location)>(StringComparer.Ordinal);
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is not YamlMap entry)
            {
                reader.Error(DiagnosticCodes.WrongType, list.ItemLocation(i), $"an os_image entry must be a mapping with device_type and image_name, not {YamlReader.Describe(list[i])}");
                continue;
            }

            reader.CheckKeys(entry, "an os_image entry", OsImageKeys);
            var type = reader.String(entry, "device_type", "an os_image entry", required: true);
            var image = reader.String(entry, "image_name", "an os_image entry", required: true);
            if (type is null || image is null)
            {
                continue;
            }

            if (seen.TryGetValue(type, out var earlier))
            {
                if (earlier.Image != image)
                {
                    reader.Error(DiagnosticCodes.Contradiction, entry.Location,
                        $"device type '{type}' is given image '{image}' here and '{earlier.Image}' at {earlier.Location}");
                }
                else
                {
                    reader.Warning(DiagnosticCodes.Contradiction, entry.Location, $"device type '{type}' is listed twice (also at {earlier.Location})");
                }

                continue;
            }

            seen[type] = (image, entry.Location);
        }
    }

    private void CheckConfiguration(YamlMap vars)
    {
        if (reader.Map(vars, ReservedVariables.Configuration, "the variables") is not { } configuration)
        {
            if (vars[ReservedVariables.Configuration] is null)
            {
                reader.Error(DiagnosticCodes.WrongType, vars.ValueLocation(ReservedVariables.Configuration), "'configuration' must be a mapping with 'template' and optional 'parameters'");
            }

            return;
        }

        reader.CheckKeys(configuration, "'configuration'", ConfigurationKeys);
        reader.String(configuration, "template", "'configuration'", required: true);
        reader.Map(configuration, "parameters", "'configuration'");
    }

    private void CheckLabels(YamlMap vars)
    {
        if (reader.StringMap(vars, ReservedVariables.Labels, "the variables") is not { } labels
            || vars[ReservedVariables.Labels] is not YamlMap node)
        {
            return;
        }

        foreach (var key in labels.Keys)
        {
            if (!LabelKey().IsMatch(key))
            {
                reader.Error(DiagnosticCodes.InvalidValue, node.KeyLocation(key), $"'{key}' is not a valid label key (letters, digits, '-', '_', '.', '/')");
            }
        }
    }

    [GeneratedRegex(@"^(?!/)(?!.*//)(?!.*\.\.)(?!.*@\{)[^\s~^:?*\[\\\x00-\x1f\x7f]+(?<![/.])(?<!\.lock)$")]
    private static partial Regex BranchName();

    [GeneratedRegex(@"^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$")]
    private static partial Regex LabelKey();
}
