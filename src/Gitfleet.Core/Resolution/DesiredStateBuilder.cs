using System.Collections.Concurrent;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Planning;
using Gitfleet.Core.Templates;
using Gitfleet.Core.Variables;
using Gitfleet.Core.Yaml;

namespace Gitfleet.Core.Resolution;

/// <summary>What a device should run: its OS image and its rendered configuration (or why not).</summary>
public sealed record DesiredState(string? Image, RenderedConfiguration? Configuration, bool ManagesConfiguration, IReadOnlyList<PlanProblem> Problems);

/// <summary>
/// Builds desired states: the <c>os_image</c> entry for the device's type, and the configuration template
/// rendered over the device's variables, <c>configuration.parameters</c> (which win) and the <c>gitfleet</c>
/// object (device_id, device_type, branch, image, commit), plus <c>expected_os_image</c> and
/// <c>subscribed_branch</c>. Renders that cannot differ between devices are shared.
/// </summary>
public sealed class DesiredStateBuilder
{
    private readonly FleetRevision revision;
    private readonly TemplateEngine engine;
    private readonly Func<string, string?> secrets;
    private readonly ConcurrentDictionary<string, bool> perDeviceTemplates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(MergedVariables, string, string, string), object> shared = new();

    public DesiredStateBuilder(FleetRevision revision, Func<string, string?> secrets, TemplateEngine? engine = null)
    {
        ArgumentNullException.ThrowIfNull(revision);
        ArgumentNullException.ThrowIfNull(secrets);
        this.revision = revision;
        this.secrets = secrets;
        this.engine = engine ?? new TemplateEngine();
    }

    public DesiredState Build(FleetMember member, string branch)
    {
        ArgumentNullException.ThrowIfNull(member);
        var problems = new List<PlanProblem>();
        var deviceType = member.DeviceType;
        if (deviceType is null)
        {
            problems.Add(new PlanProblem(PlanProblemCodes.NoDeviceType, "the device type is unknown: the device has not reported one and git declares none"));
            return new DesiredState(null, null, HasConfiguration(member), problems);
        }

        if (member.Facts?.DeviceType is { } reported && member.DeclaredDeviceType is { } declared && reported != declared)
        {
            problems.Add(new PlanProblem(PlanProblemCodes.DeviceTypeMismatch, $"the device reports type '{reported}' but git declares '{declared}' (at {member.Variables.OriginOf(ReservedVariables.DeviceType)}); nothing is scheduled until they agree"));
            return new DesiredState(null, null, HasConfiguration(member), problems);
        }

        var image = FindImage(member.Variables, deviceType);
        if (image is null)
        {
            var origin = member.Variables.OriginOf(ReservedVariables.OsImage);
            problems.Add(new PlanProblem(PlanProblemCodes.NoOsImage, origin is null
                ? $"device type '{deviceType}' has no os_image: no os_image list applies to this device"
                : $"device type '{deviceType}' has no entry in os_image (at {origin})"));
            return new DesiredState(null, null, HasConfiguration(member), problems);
        }

        if (member.Variables[ReservedVariables.Configuration] is not YamlMap configuration
            || configuration.GetValueOrDefault("template") is not string templateName)
        {
            return new DesiredState(image, null, false, problems);
        }

        if (!revision.Templates.TryGetValue(templateName, out var template))
        {
            problems.Add(new PlanProblem(PlanProblemCodes.RenderFailed, $"template '{templateName}' does not exist"));
            return new DesiredState(image, null, true, problems);
        }

        var parameters = configuration.GetValueOrDefault("parameters") as YamlMap;
        var rendered = PerDevice(template)
            ? Render(template, member, parameters, deviceType, image, branch)
            : shared.GetOrAdd((member.Variables, deviceType, image, branch), _ => Render(template, member, parameters, deviceType, image, branch));
        if (rendered is string error)
        {
            problems.Add(new PlanProblem(PlanProblemCodes.RenderFailed, error));
            return new DesiredState(image, null, true, problems);
        }

        return new DesiredState(image, (RenderedConfiguration)rendered, true, problems);
    }

    /// <summary>The image named for a device type by an os_image list, or null.</summary>
    public static string? FindImage(MergedVariables variables, string deviceType)
    {
        ArgumentNullException.ThrowIfNull(variables);
        if (variables[ReservedVariables.OsImage] is not YamlList images)
        {
            return null;
        }

        foreach (var entry in images)
        {
            if (entry is YamlMap map && map.GetValueOrDefault("device_type") as string == deviceType)
            {
                return map.GetValueOrDefault("image_name") as string;
            }
        }

        return null;
    }

    private static bool HasConfiguration(FleetMember member) =>
        member.Variables[ReservedVariables.Configuration] is YamlMap;

    /// <summary>A template that reads gitfleet.device_id renders differently per device; others can be shared.</summary>
    private bool PerDevice(ConfigurationTemplate template) =>
        perDeviceTemplates.GetOrAdd(template.Source, s => s.Contains("gitfleet", StringComparison.Ordinal));

    /// <summary>Returns a <see cref="RenderedConfiguration"/>, or an error message.</summary>
    private object Render(ConfigurationTemplate template, FleetMember member, YamlMap? parameters, string deviceType, string image, string branch)
    {
        var context = new Dictionary<string, object?>(member.Variables.Values, StringComparer.Ordinal);
        if (parameters is not null)
        {
            foreach (var (key, value) in parameters)
            {
                context[key] = value;
            }
        }

        context["gitfleet"] = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["device_id"] = member.DeviceId ?? member.Key,
            ["host"] = member.HostName ?? member.Key,
            ["device_type"] = deviceType,
            ["branch"] = branch,
            ["image"] = image,
            ["commit"] = revision.Commit?.Sha ?? "",
        };

        string text;
        TemplateEngine.RenderScope scope;
        try
        {
            text = engine.Render(template.Source, context, secrets, out scope);
        }
        catch (TemplateSyntaxException e)
        {
            return $"template '{template.Name}' does not compile: {e.Message}";
        }
#pragma warning disable CA1031 // Handlebars throws several exception types for bad input; all become a device problem.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return $"template '{template.Name}' failed: {e.Message}";
        }

        if (scope.MissingSecrets.Count > 0)
        {
            return $"template '{template.Name}' needs environment variable{(scope.MissingSecrets.Count > 1 ? "s" : "")} {string.Join(", ", scope.MissingSecrets)}, which {(scope.MissingSecrets.Count > 1 ? "are" : "is")} not set";
        }

        var values = ConfigurationFlattener.Flatten(text, out var error);
        if (values is null)
        {
            return $"template '{template.Name}': {error}";
        }

        values[ReservedVariables.ExpectedOsImageKey] = image;
        values[ReservedVariables.SubscribedBranchKey] = branch;
        var secretKeys = new HashSet<string>(StringComparer.Ordinal);
        if (scope.SecretValues.Count > 0)
        {
            foreach (var (key, value) in values)
            {
                if (scope.SecretValues.Any(secret => value.Contains(secret, StringComparison.Ordinal)))
                {
                    secretKeys.Add(key);
                }
            }
        }

        return new RenderedConfiguration(values, secretKeys);
    }
}
