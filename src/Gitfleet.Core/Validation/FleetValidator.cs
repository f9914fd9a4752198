using System.Text.RegularExpressions;
using Gitfleet.Core.Diagnostics;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Loading;
using Gitfleet.Core.Templates;
using Gitfleet.Core.Variables;
using Gitfleet.Core.Yaml;

namespace Gitfleet.Core.Validation;

/// <summary>
/// Checks that need the whole revision: device ids, identities, references between files, templates and what
/// each device's merged variables make of them. Offline: devices that only join through dynamic groups are
/// checked through one representative member per group.
/// </summary>
internal static partial class FleetValidator
{
    public static void Validate(FleetRevision revision, FleetLoadOptions options, List<Diagnostic> diagnostics)
    {
        var resolver = new VariableResolver(revision);
        CheckHosts(revision, resolver, diagnostics);
        CheckVariableFileNames(revision, diagnostics);
        CheckSettings(revision, diagnostics);
        CheckOverlays(revision, diagnostics);
        var engine = new TemplateEngine(TemplateLimits.Default, options.Clock);
        var compiled = CheckTemplates(revision, engine, diagnostics);
        new SubjectChecker(revision, options, compiled, diagnostics, engine).CheckAll(resolver);
    }

    private static void CheckHosts(FleetRevision revision, VariableResolver resolver, List<Diagnostic> diagnostics)
    {
        var identities = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var host in revision.Inventory.Hosts.Values.OrderBy(h => h.Name, StringComparer.Ordinal))
        {
            var identity = resolver.ForDevice([Inventory.AllGroup], host.Name, null)[ReservedVariables.Identity] as YamlMap;
            if (identity is null && !DeviceIds.IsValid(host.Name))
            {
                diagnostics.Add(Diagnostic.Error(DiagnosticCodes.InvalidDeviceId, host.Location,
                    $"'{host.Name}' is not a device id: name a device by its Mender id (a UUID such as 3fb4632b-96b9-475d-ac89-02255bd15b6f), or declare it by identity (identity: {{mac: ...}})"));
            }

            if (identity is { Count: > 0 })
            {
                var canonical = string.Join(';', identity.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));
                if (identities.TryGetValue(canonical, out var other))
                {
                    diagnostics.Add(Diagnostic.Error(DiagnosticCodes.Contradiction, identity.Location,
                        $"host '{host.Name}' has the same identity as host '{other}'; an identity names one device"));
                }
                else
                {
                    identities[canonical] = host.Name;
                }
            }
        }
    }

    private static void CheckVariableFileNames(FleetRevision revision, List<Diagnostic> diagnostics)
    {
        foreach (var (group, vars) in revision.GroupVars)
        {
            if (!revision.Inventory.Groups.ContainsKey(group))
            {
                diagnostics.Add(Diagnostic.Warning(DiagnosticCodes.UnknownGroup, vars.Values.Location,
                    $"group_vars for '{group}', which the inventory does not define; these variables apply to no device{DidYouMean.Hint(group, revision.Inventory.Groups.Keys)}"));
            }
        }

        foreach (var (host, vars) in revision.HostVars)
        {
            if (revision.Inventory.Hosts.ContainsKey(host))
            {
                continue;
            }

            if (!DeviceIds.IsValid(host))
            {
                diagnostics.Add(Diagnostic.Warning(DiagnosticCodes.UnknownHost, vars.Values.Location,
                    $"host_vars for '{host}', which is neither an inventory host nor a device id; these variables apply to no device{DidYouMean.Hint(host, revision.Inventory.Hosts.Keys)}"));
            }
        }
    }

    private static void CheckSettings(FleetRevision revision, List<Diagnostic> diagnostics)
    {
        var groups = revision.Inventory.Groups;
        foreach (var (name, policy) in revision.Settings.Groups)
        {
            if (!groups.ContainsKey(name))
            {
                diagnostics.Add(Diagnostic.Error(DiagnosticCodes.UnknownGroup, policy.Location, $"gitfleet.yml sets dependencies for group '{name}', which the inventory does not define{DidYouMean.Hint(name, groups.Keys)}"));
            }

            foreach (var dependency in policy.DependsOn)
            {
                if (!groups.ContainsKey(dependency))
                {
                    diagnostics.Add(Diagnostic.Error(DiagnosticCodes.UnknownGroup, policy.Location, $"group '{name}' depends on '{dependency}', which the inventory does not define{DidYouMean.Hint(dependency, groups.Keys)}"));
                }
            }
        }

        // dependsOn must not loop.
        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        bool Visit(string group)
        {
            if (state.GetValueOrDefault(group) == 1)
            {
                return true;
            }

            if (state.GetValueOrDefault(group) == 2 || !revision.Settings.Groups.TryGetValue(group, out var policy))
            {
                return false;
            }

            state[group] = 1;
            foreach (var dependency in policy.DependsOn)
            {
                if (Visit(dependency))
                {
                    diagnostics.Add(Diagnostic.Error(DiagnosticCodes.GroupCycle, policy.Location, $"dependsOn forms a cycle through group '{group}'"));
                    state[group] = 2;
                    return false;
                }
            }

            state[group] = 2;
            return false;
        }

        foreach (var group in revision.Settings.Groups.Keys)
        {
            Visit(group);
        }
    }

    private static void CheckOverlays(FleetRevision revision, List<Diagnostic> diagnostics)
    {
        foreach (var overlay in revision.Overlays)
        {
            foreach (var group in overlay.Selector.Groups)
            {
                if (!revision.Inventory.Groups.ContainsKey(group))
                {
                    diagnostics.Add(Diagnostic.Warning(DiagnosticCodes.UnknownGroup, overlay.Vars.Values.Location,
                        $"overlay '{overlay.Name}' selects group '{group}', which the inventory does not define{DidYouMean.Hint(group, revision.Inventory.Groups.Keys)}"));
                }
            }
        }
    }

    private static Dictionary<string, IReadOnlyList<TemplateReference>> CheckTemplates(FleetRevision revision, TemplateEngine engine, List<Diagnostic> diagnostics)
    {
        var compiled = new Dictionary<string, IReadOnlyList<TemplateReference>>(StringComparer.Ordinal);
        foreach (var template in revision.Templates.Values)
        {
            try
            {
                engine.Compile(template.Source);
                compiled[template.Name] = TemplateReferenceScanner.Scan(template.Source);
            }
            catch (TemplateSyntaxException e)
            {
                var match = OccurredAt().Match(e.Message);
                var location = match.Success
                    ? new SourceLocation(template.File, int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) + 1, int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) + 1)
                    : SourceLocation.OfFile(template.File);
                var message = OccurredAt().Replace(e.Message, "").Trim();
                diagnostics.Add(Diagnostic.Error(DiagnosticCodes.TemplateSyntax, location, $"template does not compile: {message}"));
            }
        }

        return compiled;
    }

    [GeneratedRegex(@"Occured at:\s*(\d+):(\d+)")]
    private static partial Regex OccurredAt();
}
