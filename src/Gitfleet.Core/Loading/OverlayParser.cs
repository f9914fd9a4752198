using Gitfleet.Core.Diagnostics;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Variables;
using Gitfleet.Core.Yaml;

namespace Gitfleet.Core.Loading;

/// <summary>Reads overlays/*.yml: <c>selector</c> (labels, expressions, groups) and <c>vars</c>, in file-name order.</summary>
internal sealed class OverlayParser(YamlReader reader, VariableChecker checker)
{
    private static readonly string[] Keys = ["description", "selector", "vars"];

    public List<Overlay> Parse(IReadOnlyDictionary<string, string> files)
    {
        var overlays = new List<Overlay>();
        foreach (var path in files.Keys.Where(p => p.StartsWith("overlays/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            if (!(path.EndsWith(".yml", StringComparison.Ordinal) || path.EndsWith(".yaml", StringComparison.Ordinal)))
            {
                reader.Warning(DiagnosticCodes.UnknownKey, SourceLocation.OfFile(path), "ignored: overlay files end in .yml or .yaml");
                continue;
            }

            var root = reader.Parse(path, files[path], out var ok);
            if (!ok)
            {
                continue;
            }

            if (root is not YamlMap map)
            {
                reader.Error(DiagnosticCodes.WrongType, SourceLocation.OfFile(path), $"an overlay must be a mapping with 'selector' and 'vars', not {YamlReader.Describe(root)}");
                continue;
            }

            reader.CheckKeys(map, "an overlay", Keys);
            reader.String(map, "description", "an overlay");
            if (!map.ContainsKey("selector"))
            {
                reader.Error(DiagnosticCodes.MalformedSelector, map.Location, "an overlay needs a 'selector' (use 'selector: {}' to match every device)");
                continue;
            }

            var selector = SelectorParser.Parse(reader, map, $"overlay {path}", allowGroups: true);
            var vars = reader.Map(map, "vars", "an overlay", required: true);
            if (vars is not null)
            {
                checker.Check(vars, VariableLayer.Overlay);
            }

            if (selector is not null && vars is not null)
            {
                var name = Path.GetFileNameWithoutExtension(path);
                overlays.Add(new Overlay(name, path, selector, new VariableSet(path, vars)));
            }
        }

        return overlays;
    }
}
