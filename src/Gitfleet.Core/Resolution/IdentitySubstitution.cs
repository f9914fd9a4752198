using Gitfleet.Core.Templates;

namespace Gitfleet.Core.Resolution;

/// <summary>
/// A template that reads the device's id or host name only as text (<c>{{gitfleet.device_id}}</c>,
/// <c>{{gitfleet.host}}</c>, nowhere else: no helper, block or lookup takes them) renders to the same configuration
/// for every device with the same inputs except for that text. It is rendered once per distinct input with stand-ins
/// for the id and the host, and each device's configuration is the stand-in render with its own id and host put in:
/// byte for byte what rendering it would give. Rendering twice with different stand-ins checks that the stand-ins
/// appear exactly where the id and host do; a device whose id or host a JSON string would escape (quotes,
/// backslashes, control or non-ASCII characters) or that is longer than a stand-in (the output limit) is rendered.
/// </summary>
internal sealed class IdentitySubstitution
{
    /// <summary>Stand-ins: the only 'Z' is the first character, so occurrences never overlap.</summary>
    private static readonly (string Id, string Host) First = (StandIn('I', 'a'), StandIn('H', 'b'));

    private static readonly (string Id, string Host) Second = (StandIn('J', 'c'), StandIn('K', 'd'));

    private static readonly IReadOnlySet<string> NoKeys = new HashSet<string>(StringComparer.Ordinal);

    private readonly RenderedConfiguration template;
    private readonly IReadOnlyDictionary<string, Part[]> parts;
    private readonly string[] secrets;

    // The template's entries in its order, with the pieces of those that hold the id or host (null for the others).
    private readonly string[] keys;
    private readonly string[] templateValues;
    private readonly Part[]?[] pieces;

    // The template's secret keys whose values hold neither the id nor the host: secret for every device (shared, never changed).
    private readonly IReadOnlySet<string> fixedSecretKeys;

    private IdentitySubstitution(RenderedConfiguration template, IReadOnlyDictionary<string, Part[]> parts, IReadOnlyCollection<string> secrets)
    {
        this.template = template;
        this.parts = parts;
        this.secrets = [.. secrets];
        var entries = template.Values.ToArray();
        keys = [.. entries.Select(e => e.Key)];
        templateValues = [.. entries.Select(e => e.Value)];
        pieces = [.. keys.Select(k => parts.GetValueOrDefault(k))];
        fixedSecretKeys = template.SecretKeys.Count == 0 ? NoKeys : template.SecretKeys.Where(k => !parts.ContainsKey(k)).ToHashSet(StringComparer.Ordinal);
    }

    private static string Substitute(Part[] parts, string deviceId, string host)
    {
        var length = 0;
        foreach (var part in parts)
        {
            length += part.Kind switch { PartKind.Id => deviceId.Length, PartKind.Host => host.Length, _ => part.Text.Length };
        }

        return string.Create(length, (parts, deviceId, host), static (span, state) =>
        {
            foreach (var part in state.parts)
            {
                var text = part.Kind switch { PartKind.Id => state.deviceId, PartKind.Host => state.host, _ => part.Text };
                text.CopyTo(span);
                span = span[text.Length..];
            }
        });
    }

    /// <summary>
    /// Whether a template's source reads the id and host only as plain output: every mustache that names
    /// <c>gitfleet</c> is <c>gitfleet.device_id</c> or <c>gitfleet.host</c> alone, or names only its other fields.
    /// </summary>
    public static bool Applies(string source, TemplateInputs reads)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(reads);
        if (!reads.PerDevice || reads.Everything)
        {
            return false;
        }

        for (var open = source.IndexOf("{{", StringComparison.Ordinal); open >= 0; open = source.IndexOf("{{", open + 2, StringComparison.Ordinal))
        {
            var close = source.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                return false;
            }

            var body = source[(open + 2)..close].Trim('{', '}', '~', ' ', '\t', '\r', '\n');
            if (body is "gitfleet.device_id" or "gitfleet.host" || !body.Contains("gitfleet", StringComparison.Ordinal))
            {
                continue;
            }

            if (!OnlyOtherFields(body))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Renders with two pairs of stand-ins (<paramref name="render"/> takes the id and the host and returns a
    /// <see cref="RenderedConfiguration"/> and the secret values it used, or an error message) and keeps the first
    /// when the two agree everywhere but at the stand-ins; null when they do not (or a render failed: each device is
    /// then rendered, and gets its own error).
    /// </summary>
    public static IdentitySubstitution? Prepare(Func<string, string, (object Result, IReadOnlyCollection<string> Secrets)> render)
    {
        ArgumentNullException.ThrowIfNull(render);
        var (first, secrets) = render(First.Id, First.Host);
        var (second, _) = render(Second.Id, Second.Host);
        if (first is not RenderedConfiguration a || second is not RenderedConfiguration b || a.Values.Count != b.Values.Count)
        {
            return null;
        }

        var parts = new Dictionary<string, Part[]>(StringComparer.Ordinal);
        using var other = b.Values.GetEnumerator();
        foreach (var (key, value) in a.Values)
        {
            other.MoveNext();
            if (key != other.Current.Key || Contains(key, First) || Contains(key, Second)
                || value.Replace(First.Id, Second.Id, StringComparison.Ordinal).Replace(First.Host, Second.Host, StringComparison.Ordinal) != other.Current.Value)
            {
                return null;
            }

            if (Contains(value, First))
            {
                parts[key] = Split(value);
            }
        }

        return new IdentitySubstitution(a, parts, secrets);
    }

    /// <summary>The configuration of the device with this id and host; null when it has to be rendered.</summary>
    public RenderedConfiguration? For(string deviceId, string host)
    {
        if (!Plain(deviceId, First.Id.Length) || !Plain(host, First.Host.Length))
        {
            return null;
        }

        if (parts.Count == 0)
        {
            return template;
        }

        // Every device with a substitution gets here (most of a fleet whose template reads the id): loops, not LINQ.
        var values = new Dictionary<string, string>(keys.Length, StringComparer.Ordinal);
        HashSet<string>? secretKeys = null;
        for (var i = 0; i < keys.Length; i++)
        {
            var key = keys[i];
            if (pieces[i] is not { } keyPieces)
            {
                values.Add(key, templateValues[i]);
                continue;
            }

            var text = Substitute(keyPieces, deviceId, host);
            values.Add(key, text);
            foreach (var secret in secrets)
            {
                if (text.Contains(secret, StringComparison.Ordinal))
                {
                    (secretKeys ??= []).Add(key);
                    break;
                }
            }
        }

        if (secretKeys is null)
        {
            return new RenderedConfiguration(values, fixedSecretKeys);
        }

        secretKeys.UnionWith(fixedSecretKeys);
        return new RenderedConfiguration(values, secretKeys);
    }

    /// <summary>Text a JSON string holds as it is, no longer than the stand-in.</summary>
    private static bool Plain(string text, int maxLength)
    {
        if (text.Length > maxLength)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (c is < ' ' or > '~' or '"' or '\\')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Every <c>gitfleet</c> in the body is followed by one of its fields other than the id and host.</summary>
    private static bool OnlyOtherFields(string body)
    {
        for (var at = body.IndexOf("gitfleet", StringComparison.Ordinal); at >= 0; at = body.IndexOf("gitfleet", at + 8, StringComparison.Ordinal))
        {
            var rest = body.AsSpan(at + 8);
            var known = false;
            foreach (var field in (ReadOnlySpan<string>)[".device_type", ".branch", ".image", ".commit"])
            {
                if (rest.StartsWith(field, StringComparison.Ordinal)
                    && (rest.Length == field.Length || !(char.IsAsciiLetterOrDigit(rest[field.Length]) || rest[field.Length] is '_' or '.' or '/' or '[')))
                {
                    known = true;
                }
            }

            if (!known)
            {
                return false;
            }
        }

        return true;
    }

    private static bool Contains(string text, (string Id, string Host) standIns) =>
        text.Contains(standIns.Id, StringComparison.Ordinal) || text.Contains(standIns.Host, StringComparison.Ordinal);

    private static Part[] Split(string value)
    {
        var parts = new List<Part>();
        var start = 0;
        while (true)
        {
            var id = value.IndexOf(First.Id, start, StringComparison.Ordinal);
            var host = value.IndexOf(First.Host, start, StringComparison.Ordinal);
            var next = id < 0 ? host : host < 0 ? id : Math.Min(id, host);
            if (next < 0)
            {
                break;
            }

            if (next > start)
            {
                parts.Add(new Part(PartKind.Text, value[start..next]));
            }

            var kind = next == id ? PartKind.Id : PartKind.Host;
            parts.Add(new Part(kind, ""));
            start = next + (kind == PartKind.Id ? First.Id.Length : First.Host.Length);
        }

        if (start < value.Length)
        {
            parts.Add(new Part(PartKind.Text, value[start..]));
        }

        return [.. parts];
    }

    private static string StandIn(char tag, char fill) => "Z" + tag + new string(fill, 126);

    private enum PartKind
    {
        Text,
        Id,
        Host,
    }

    private readonly record struct Part(PartKind Kind, string Text);
}
