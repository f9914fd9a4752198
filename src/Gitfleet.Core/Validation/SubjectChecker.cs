using Gitfleet.Core.Diagnostics;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Loading;
using Gitfleet.Core.Templates;
using Gitfleet.Core.Variables;
using Gitfleet.Core.Yaml;

namespace Gitfleet.Core.Validation;

/// <summary>
/// Checks what each device's merged variables make of templates, os_image and subscriptions. A "subject" is
/// a static host, a device id with host_vars only, or a representative member of a dynamic group. Problems
/// found for many subjects at the same place are reported once, naming the first subject and a count.
/// </summary>
internal sealed class SubjectChecker(
    FleetRevision revision,
    FleetLoadOptions options,
    IReadOnlyDictionary<string, IReadOnlyList<TemplateReference>> templates,
    List<Diagnostic> diagnostics,
    TemplateEngine engine)
{
    /// <summary>How many subjects each template is rendered for, to find one past its limits (a representative device).</summary>
    private const int RendersPerTemplate = 8;

    private readonly Dictionary<string, int> renders = new(StringComparer.Ordinal);

    /// <summary>Names every template may use besides the device's variables and parameters.</summary>
    public static readonly IReadOnlySet<string> BuiltIns = new HashSet<string>(StringComparer.Ordinal) { "gitfleet" };

    private readonly Dictionary<(SourceLocation Location, string Code, string Key), Finding> findings = [];

    /// <summary>
    /// Variables some dynamic group defines. Offline, any device may join dynamic groups at run time, so a
    /// template reading one of these is not reported; rendering checks it per device when planning.
    /// </summary>
    private readonly HashSet<string> maybeDefined = new(StringComparer.Ordinal);

    public void CheckAll(VariableResolver resolver)
    {
        foreach (var group in revision.Inventory.DynamicGroups)
        {
            maybeDefined.UnionWith(resolver.ForGroups(resolver.OrderGroups([group.Name])).Values.Keys);
        }

        foreach (var host in revision.Inventory.Hosts.Values.OrderBy(h => h.Name, StringComparer.Ordinal))
        {
            var groups = resolver.OrderGroups(host.Groups);
            Check($"device '{host.Name}'", host.Location, resolver.ForDevice(groups, host.Name, null), isDynamic: false);
        }

        foreach (var (id, vars) in revision.HostVars.OrderBy(h => h.Key, StringComparer.Ordinal))
        {
            if (!revision.Inventory.Hosts.ContainsKey(id) && DeviceIds.IsValid(id))
            {
                var groups = resolver.OrderGroups([]);
                Check($"device '{id}'", vars.Values.Location, resolver.ForDevice(groups, id, null), isDynamic: true);
            }
        }

        foreach (var group in revision.Inventory.DynamicGroups.OrderBy(g => g.Name, StringComparer.Ordinal))
        {
            var groups = resolver.OrderGroups([group.Name]);
            var vars = resolver.ForGroups(groups);
            Check($"members of dynamic group '{group.Name}'", group.Location, vars, isDynamic: true);
            if (group.Selector?.MatchLabels.GetValueOrDefault("device_type") is { } deviceType)
            {
                CheckImage($"members of dynamic group '{group.Name}'", deviceType, group.Location, vars);
            }
        }

        foreach (var ((location, code, _), finding) in findings.OrderBy(f => f.Key.Location.File, StringComparer.Ordinal).ThenBy(f => f.Key.Location.Line))
        {
            var more = finding.Count > 1 ? $" (and {finding.Count - 1} more)" : "";
            diagnostics.Add(new Diagnostic(finding.Severity, code, finding.Message + more, location));
        }
    }

    private void Check(string subject, SourceLocation subjectLocation, MergedVariables vars, bool isDynamic)
    {
        CheckSubscription(subject, subjectLocation, vars, isDynamic);
        CheckConfiguration(subject, vars);
        if (vars[ReservedVariables.DeviceType] is string deviceType)
        {
            CheckImage(subject, deviceType, vars.OriginOf(ReservedVariables.DeviceType) ?? subjectLocation, vars);
        }
    }

    private void CheckSubscription(string subject, SourceLocation location, MergedVariables vars, bool isDynamic)
    {
        if (vars[ReservedVariables.SubscribedBranch] is not string branch)
        {
            // "subscribed_branch: null" says so on purpose: the server-side tag decides.
            if (!isDynamic && !vars.Values.ContainsKey(ReservedVariables.SubscribedBranch))
            {
                Add(location, DiagnosticCodes.UnknownBranch, "", Severity.Warning,
                    $"{subject} has no subscribed_branch: no branch manages it unless its server-side subscribed_branch tag names one (set subscribed_branch, or 'subscribed_branch: null' to leave it to the tag)");
            }

            return;
        }

        if (options.KnownBranches is { Count: > 0 } known && !known.Contains(branch))
        {
            var origin = vars.OriginOf(ReservedVariables.SubscribedBranch) ?? location;
            Add(origin, DiagnosticCodes.UnknownBranch, branch, Severity.Warning,
                $"subscribed_branch '{branch}' is not a branch of this repository{DidYouMean.Hint(branch, known)}; {subject} will not be updated until it exists");
        }
    }

    private void CheckConfiguration(string subject, MergedVariables vars)
    {
        if (vars[ReservedVariables.Configuration] is not YamlMap configuration
            || configuration.GetValueOrDefault("template") is not string templateName)
        {
            return;
        }

        var origin = vars.OriginOf(ReservedVariables.Configuration);
        if (!revision.Templates.TryGetValue(templateName, out var template))
        {
            Add(configuration.ValueLocation("template"), DiagnosticCodes.MissingTemplate, templateName, Severity.Error,
                $"template '{templateName}' does not exist: expected templates/{templateName}{DidYouMean.Hint(templateName, revision.Templates.Keys)} (used by {subject})");
            return;
        }

        if (!templates.TryGetValue(templateName, out var references))
        {
            return; // It does not compile; reported once for the template.
        }

        var parameters = configuration.GetValueOrDefault("parameters") as YamlMap;
        CheckRenderLimits(subject, vars, template, parameters);
        foreach (var reference in references)
        {
            if (vars.Values.ContainsKey(reference.Name) || (parameters?.ContainsKey(reference.Name) ?? false)
                || BuiltIns.Contains(reference.Name) || maybeDefined.Contains(reference.Name))
            {
                continue;
            }

            var where = new SourceLocation(template.File, reference.Line, reference.Column);
            Add(where, DiagnosticCodes.UndefinedTemplateVariable, reference.Name, Severity.Error,
                $"'{reference.Name}' is not defined for {subject} (configuration set at {origin}): add it to configuration.parameters or to the device's variables");
        }
    }

    /// <summary>
    /// Renders the template for the first subjects that use it, without secrets, to find one whose output, steps or
    /// time go past the render limits for a representative device (other render errors are found when planning).
    /// </summary>
    private void CheckRenderLimits(string subject, MergedVariables vars, ConfigurationTemplate template, YamlMap? parameters)
    {
        var count = renders.GetValueOrDefault(template.Name);
        if (count >= RendersPerTemplate)
        {
            return;
        }

        renders[template.Name] = count + 1;
        options.CancellationToken.ThrowIfCancellationRequested();
        var context = new Dictionary<string, object?>(vars.Values, StringComparer.Ordinal);
        foreach (var (key, value) in parameters ?? (IEnumerable<KeyValuePair<string, object?>>)[])
        {
            context[key] = value;
        }

        context["gitfleet"] = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["device_id"] = subject,
            ["host"] = subject,
            ["device_type"] = vars[ReservedVariables.DeviceType] as string ?? "",
            ["branch"] = vars[ReservedVariables.SubscribedBranch] as string ?? "",
            ["image"] = "",
            ["commit"] = revision.Commit?.Sha ?? "",
        };
        try
        {
            engine.Render(template.Source, context, static _ => "", out _);
        }
        catch (TemplateLimitException e)
        {
            Add(SourceLocation.OfFile(template.File), DiagnosticCodes.TemplateLimit, template.Name, Severity.Error,
                $"template '{template.Name}' goes past its render limits for {subject}: {e.Message}");
        }
#pragma warning disable CA1031 // Other render errors (an undefined variable inside a block ...) are reported per device when planning.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private void CheckImage(string subject, string deviceType, SourceLocation location, MergedVariables vars)
    {
        if (vars[ReservedVariables.OsImage] is not YamlList images)
        {
            Add(location, DiagnosticCodes.NoOsImage, deviceType, Severity.Error,
                $"device type '{deviceType}' has no os_image: {subject} has no os_image list (set it in group_vars/all.yml)");
            return;
        }

        foreach (var entry in images)
        {
            if (entry is YamlMap map && map.GetValueOrDefault("device_type") as string == deviceType)
            {
                return;
            }
        }

        var listed = images.OfType<YamlMap>().Select(m => m.GetValueOrDefault("device_type") as string).OfType<string>().ToList();
        Add(location, DiagnosticCodes.NoOsImage, deviceType, Severity.Error,
            $"device type '{deviceType}' has no os_image entry (os_image at {vars.OriginOf(ReservedVariables.OsImage)} lists {(listed.Count == 0 ? "none" : string.Join(", ", listed))}{DidYouMean.Hint(deviceType, listed)}), needed by {subject}");
    }

    private void Add(SourceLocation location, string code, string key, Severity severity, string message)
    {
        var id = (location, code, key);
        if (findings.TryGetValue(id, out var finding))
        {
            finding.Count++;
        }
        else
        {
            findings[id] = new Finding(severity, message);
        }
    }

    private sealed class Finding(Severity severity, string message)
    {
        public Severity Severity { get; } = severity;

        public string Message { get; } = message;

        public int Count { get; set; } = 1;
    }
}
