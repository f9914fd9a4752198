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
/// <c>subscribed_branch</c>. A template is rendered once per distinct input: the values of the variables it reads
/// (<see cref="TemplateReferenceScanner.Inputs"/>), the device type, image and branch; one that reads the device's
/// id or host name only as text is rendered once per such input with stand-ins and the device's own put in
/// (<see cref="IdentitySubstitution"/>), any other use of them is rendered per device.
/// </summary>
public sealed class DesiredStateBuilder
{
    private static readonly object Missing = new();

    private readonly FleetRevision revision;
    private readonly TemplateEngine engine;
    private readonly Func<string, string?> secrets;
    private readonly ConcurrentDictionary<string, Lazy<string?>> secretValues = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TemplateInputs> inputs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> substitutable = new(StringComparer.Ordinal);

    // Renders by input: first by the instances a device's variables are (most devices share them), then by value.
    private readonly ConcurrentDictionary<(MergedVariables, YamlMap?, string, string, string, string), object> byInstance = new();
    private readonly ConcurrentDictionary<RenderInput, object> byValue = new();

    public DesiredStateBuilder(FleetRevision revision, Func<string, string?> secrets, TemplateEngine? engine = null)
    {
        ArgumentNullException.ThrowIfNull(revision);
        ArgumentNullException.ThrowIfNull(secrets);
        this.revision = revision;
        // One lookup per secret and build, not per render (the CLI's secrets are environment variables, read under a lock).
        this.secrets = name => secretValues.GetOrAdd(name, n => new Lazy<string?>(() => secrets(n))).Value;
        this.engine = engine ?? new TemplateEngine();
    }

    public DesiredState Build(FleetMember member, string branch)
    {
        ArgumentNullException.ThrowIfNull(member);
        var deviceType = member.DeviceType;
        if (deviceType is null)
        {
            return Problem(null, HasConfiguration(member), PlanProblemCodes.NoDeviceType, "the device type is unknown: the device has not reported one and git declares none");
        }

        if (member.Facts?.DeviceType is { } reported && member.DeclaredDeviceType is { } declared && reported != declared)
        {
            return Problem(null, HasConfiguration(member), PlanProblemCodes.DeviceTypeMismatch, $"the device reports type '{reported}' but git declares '{declared}' (at {member.Variables.OriginOf(ReservedVariables.DeviceType)}); nothing is scheduled until they agree");
        }

        var image = FindImage(member.Variables, deviceType);
        if (image is null)
        {
            var origin = member.Variables.OriginOf(ReservedVariables.OsImage);
            return Problem(null, HasConfiguration(member), PlanProblemCodes.NoOsImage, origin is null
                ? $"device type '{deviceType}' has no os_image: no os_image list applies to this device"
                : $"device type '{deviceType}' has no entry in os_image (at {origin})");
        }

        if (member.Variables[ReservedVariables.Configuration] is not YamlMap configuration
            || configuration.GetValueOrDefault("template") is not string templateName)
        {
            return new DesiredState(image, null, false, []);
        }

        if (!revision.Templates.TryGetValue(templateName, out var template))
        {
            return Problem(image, true, PlanProblemCodes.RenderFailed, $"template '{templateName}' does not exist");
        }

        var parameters = configuration.GetValueOrDefault("parameters") as YamlMap;
        var reads = inputs.GetOrAdd(template.Source, TemplateReferenceScanner.Inputs);
        var input = new DeviceInput(template, reads, member.Variables, parameters, deviceType, image, branch, member.DeviceId ?? member.Key, member.HostName ?? member.Key);
        object rendered;
        if (!reads.PerDevice)
        {
            rendered = Known(input) ?? SharedRender(input);
        }
        else if (Substitutable(template.Source, reads)
            && (Known(input) ?? SharedSubstitution(input)) is IdentitySubstitution substitution
            && substitution.For(input.DeviceId, input.Host) is { } substituted)
        {
            rendered = substituted;
        }
        else
        {
            rendered = Render(input, input.DeviceId, input.Host).Result;
        }

        if (rendered is string error)
        {
            return Problem(image, true, PlanProblemCodes.RenderFailed, error);
        }

        return new DesiredState(image, (RenderedConfiguration)rendered, true, []);
    }

    /// <summary>A template's render for one device, and what it depends on.</summary>
    private readonly record struct DeviceInput(
        ConfigurationTemplate Template, TemplateInputs Reads, MergedVariables Variables, YamlMap? Parameters, string DeviceType, string Image, string Branch, string DeviceId, string Host)
    {
        public (MergedVariables, YamlMap?, string, string, string, string) Instances => (Variables, Parameters, Template.Name, DeviceType, Image, Branch);
    }

    // Build runs for every device: the lambdas below are made only when an input is seen for the first time.
    private bool Substitutable(string source, TemplateInputs reads) =>
        substitutable.TryGetValue(source, out var applies) ? applies : substitutable.GetOrAdd(source, IdentitySubstitution.Applies(source, reads));

    /// <summary>What was made for the instances of this input before, or null.</summary>
    private object? Known(DeviceInput input) => byInstance.TryGetValue(input.Instances, out var shared) ? shared : null;

    private object SharedRender(DeviceInput input) => Shared(input, () => Render(input, input.DeviceId, input.Host).Result);

    private object SharedSubstitution(DeviceInput input) =>
        Shared(input, () => (object?)IdentitySubstitution.Prepare((id, name) => Render(input, id, name)) ?? Missing);

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

    /// <summary>
    /// What <paramref name="make"/> gives for the template's input (the values of the variables it reads, the device
    /// type, image and branch), made once per distinct input: looked up first by the instances (most devices share
    /// them), then by value.
    /// </summary>
    private object Shared(DeviceInput device, Func<object> make)
    {
        var instance = device.Instances;
        if (!byInstance.TryGetValue(instance, out var shared))
        {
            var (variables, parameters) = (device.Variables, device.Parameters);
            var input = new RenderInput(device.Template.Name, device.DeviceType, device.Image, device.Branch, [.. device.Reads.Variables.Order(StringComparer.Ordinal).Select(name => Input(variables, parameters, name))]);
            shared = byValue.GetOrAdd(input, _ => make());
            byInstance.TryAdd(instance, shared);
        }

        return shared;
    }

    private static bool HasConfiguration(FleetMember member) =>
        member.Variables[ReservedVariables.Configuration] is YamlMap;

    /// <summary>What a template sees as <paramref name="name"/>: the parameter, else the variable (else nothing).</summary>
    private static object? Input(MergedVariables variables, YamlMap? parameters, string name) =>
        parameters is not null && parameters.TryGetValue(name, out var parameter) ? parameter
        : variables.Values.TryGetValue(name, out var value) ? value
        : Missing;

    private static DesiredState Problem(string? image, bool managesConfiguration, string code, string message) =>
        new(image, null, managesConfiguration, [new PlanProblem(code, message)]);

    /// <summary>Returns a <see cref="RenderedConfiguration"/> (and the secret values it holds), or an error message.</summary>
    private (object Result, IReadOnlyCollection<string> Secrets) Render(DeviceInput input, string deviceId, string host)
    {
        var (template, reads, variables, parameters) = (input.Template, input.Reads, input.Variables, input.Parameters);
        var (deviceType, image, branch) = (input.DeviceType, input.Image, input.Branch);
        // The template's context: what it reads (everything when that cannot be told), parameters winning.
        Dictionary<string, object?> context;
        if (reads.Everything)
        {
            context = new Dictionary<string, object?>(variables.Values, StringComparer.Ordinal);
            foreach (var (key, value) in parameters ?? (IEnumerable<KeyValuePair<string, object?>>)[])
            {
                context[key] = value;
            }
        }
        else
        {
            context = new Dictionary<string, object?>(reads.Variables.Count + 1, StringComparer.Ordinal);
            foreach (var name in reads.Variables)
            {
                if (Input(variables, parameters, name) is var value && !ReferenceEquals(value, Missing))
                {
                    context[name] = value;
                }
            }
        }

        context["gitfleet"] = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["device_id"] = deviceId,
            ["host"] = host,
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
            return ($"template '{template.Name}' does not compile: {e.Message}", []);
        }
#pragma warning disable CA1031 // Handlebars throws several exception types for bad input; all become a device problem.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return ($"template '{template.Name}' failed: {e.Message}", []);
        }

        if (scope.MissingSecrets.Count > 0)
        {
            return ($"template '{template.Name}' needs environment variable{(scope.MissingSecrets.Count > 1 ? "s" : "")} {string.Join(", ", scope.MissingSecrets)}, which {(scope.MissingSecrets.Count > 1 ? "are" : "is")} not set", []);
        }

        var values = ConfigurationFlattener.Flatten(text, out var error);
        if (values is null)
        {
            return ($"template '{template.Name}': {error}", []);
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

        return (new RenderedConfiguration(values, secretKeys), scope.SecretValues);
    }
}

/// <summary>Everything a render that does not read the device's id or host depends on; values compare by content.</summary>
internal sealed class RenderInput : IEquatable<RenderInput>
{
    private readonly (string Template, string DeviceType, string Image, string Branch) names;
    private readonly object?[] values;
    private readonly int hash;

    public RenderInput(string template, string deviceType, string image, string branch, object?[] values)
    {
        names = (template, deviceType, image, branch);
        this.values = values;
        var hash = new HashCode();
        hash.Add(names);
        foreach (var value in values)
        {
            hash.Add(VariableEquality.Hash(value));
        }

        this.hash = hash.ToHashCode();
    }

    public bool Equals(RenderInput? other) =>
        other is not null && hash == other.hash && names == other.names && values.Length == other.values.Length
        && values.Zip(other.values).All(pair => VariableEquality.Equal(pair.First, pair.Second));

    public override bool Equals(object? obj) => Equals(obj as RenderInput);

    public override int GetHashCode() => hash;
}
