using System.Collections;
using System.Collections.Concurrent;
using System.Text.Json;
using HandlebarsDotNet;

namespace Gitfleet.Core.Templates;

/// <summary>
/// One configured Handlebars environment: JSON string escaping, JSON-style scalars, strict binding (an
/// undefined variable is an error, not an empty string), and the helpers <c>env</c> (a secret from an
/// environment variable) and <c>json</c> (a value written as JSON). Compiled templates are cached by source.
/// Every render is bounded (<see cref="TemplateLimits"/>): its output, its steps (each loop iteration and each
/// write) and its time, read from the injected <see cref="TimeProvider"/>; a template's nesting is checked before
/// it is compiled. Exceeding a bound throws <see cref="TemplateLimitException"/> for that render only.
/// </summary>
public sealed class TemplateEngine
{
    /// <summary>Helpers Gitfleet registers, plus Handlebars' built-in ones; the reference scanner skips them.</summary>
    public static readonly IReadOnlySet<string> KnownHelpers = new HashSet<string>(StringComparer.Ordinal)
    {
        "env", "json", "if", "unless", "each", "with", "lookup", "log", "else",
    };

    [ThreadStatic]
    private static RenderScope? currentScope;

    private readonly IHandlebars handlebars;
    private readonly ConcurrentDictionary<string, HandlebarsTemplate<TextWriter, object, object>> compiled = new(StringComparer.Ordinal);
    private readonly TimeProvider? clock;

    /// <param name="limits">Bounds of each render; <see cref="TemplateLimits.Default"/> when null.</param>
    /// <param name="clock">Where render time is read (the core reads no clock of its own); without one, renders are bounded by output and steps only.</param>
    public TemplateEngine(TemplateLimits? limits = null, TimeProvider? clock = null)
    {
        Limits = limits ?? TemplateLimits.Default;
        this.clock = clock;
        var configuration = new HandlebarsConfiguration
        {
            ThrowOnUnresolvedBindingExpression = true,
            TextEncoder = new JsonStringEncoder(),
            PartialRecursionDepthLimit = 16,
        };
        configuration.FormatterProviders.Add(new JsonValueFormatters());
        configuration.ObjectDescriptorProviders.Add(new CountedIteration());
        handlebars = Handlebars.Create(configuration);
        handlebars.RegisterHelper("env", (in EncodedTextWriter output, in HelperOptions _, in Context _, in Arguments arguments) =>
        {
            if (arguments.Length != 1 || arguments[0] is not string name)
            {
                throw new HandlebarsRuntimeException("env takes one argument: the name of an environment variable, in quotes");
            }

            var scope = currentScope ?? throw new InvalidOperationException("env used outside a render scope");
            var value = scope.Secrets(name);
            if (value is null)
            {
                scope.MissingSecrets.Add(name);
                return;
            }

            if (value.Length > 0)
            {
                scope.SecretValues.Add(value);
            }

            output.Write(value, true);
        });
        handlebars.RegisterHelper("json", (in EncodedTextWriter output, in HelperOptions _, in Context _, in Arguments arguments) =>
        {
            if (arguments.Length != 1)
            {
                throw new HandlebarsRuntimeException("json takes one argument: the value to write as JSON");
            }

            output.Write(JsonSerializer.Serialize(ToJsonValue(arguments[0]), TemplateJsonContext.Default.Object), false);
        });
    }

    public TemplateLimits Limits { get; }

    /// <summary>Compiles (or returns the cached compilation of) a template; throws <see cref="TemplateSyntaxException"/>.</summary>
    public HandlebarsTemplate<TextWriter, object, object> Compile(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return compiled.GetOrAdd(source, s =>
        {
            TemplateNesting.Check(s, Limits.MaxNesting);
            try
            {
                using var reader = new StringReader(s);
                return handlebars.Compile(reader);
            }
            catch (HandlebarsException e)
            {
                throw new TemplateSyntaxException(e.Message.ReplaceLineEndings(" ").Trim(), e);
            }
        });
    }

    /// <summary>
    /// Renders with a secret source; reports the secrets used and the ones missing. Throws
    /// <see cref="TemplateLimitException"/> when the render goes past <see cref="Limits"/>.
    /// </summary>
    public string Render(string source, object context, Func<string, string?> secrets, out RenderScope scope)
    {
        var template = Compile(source);
        scope = new RenderScope(secrets, Limits, clock);
        var previous = currentScope;
        currentScope = scope;
        try
        {
            using var output = new BoundedWriter(scope);
            template(output, context, null!);
            return output.ToString();
        }
        finally
        {
            currentScope = previous;
        }
    }

    /// <summary>One step of the current render (a loop iteration): counted against its limits.</summary>
    internal static void Step() => currentScope?.Step();

    private static object? ToJsonValue(object? value) => value switch
    {
        null or string or bool or long or double or int => value,
        IDictionary<string, object?> map => map.ToDictionary(kv => kv.Key, kv => ToJsonValue(kv.Value), StringComparer.Ordinal),
        IEnumerable list => list.Cast<object?>().Select(ToJsonValue).ToList(),
        _ => value.ToString(),
    };

    /// <summary>What one render used: secret values (to redact) and missing environment variables; and what it spent.</summary>
    public sealed class RenderScope
    {
        private readonly TemplateLimits limits;
        private readonly TimeProvider? clock;
        private readonly long started;

        public RenderScope(Func<string, string?> secrets, TemplateLimits? limits = null, TimeProvider? clock = null)
        {
            Secrets = secrets;
            this.limits = limits ?? TemplateLimits.Default;
            this.clock = clock;
            started = clock?.GetTimestamp() ?? 0;
        }

        public Func<string, string?> Secrets { get; }

        public HashSet<string> SecretValues { get; } = new(StringComparer.Ordinal);

        public SortedSet<string> MissingSecrets { get; } = new(StringComparer.Ordinal);

        public long Steps { get; private set; }

        public long OutputChars { get; private set; }

        internal void Step()
        {
            if (++Steps > limits.MaxSteps)
            {
                throw new TemplateLimitException($"rendering takes more than {limits.MaxSteps} steps (loop iterations and writes) for one device");
            }

            if ((Steps & 255) == 0 && clock is not null && clock.GetElapsedTime(started) > limits.Timeout)
            {
                throw new TemplateLimitException($"rendering takes longer than {limits.Timeout.TotalSeconds:0.###} s for one device");
            }
        }

        internal void Wrote(int chars)
        {
            OutputChars += chars;
            if (OutputChars > limits.MaxOutputChars)
            {
                throw new TemplateLimitException($"the output for one device exceeds the limit of {limits.MaxOutputChars} characters");
            }

            Step();
        }
    }
}

/// <summary>A template that does not compile; the message says where.</summary>
public sealed class TemplateSyntaxException : Exception
{
    public TemplateSyntaxException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public TemplateSyntaxException(string message)
        : base(message)
    {
    }

    public TemplateSyntaxException()
    {
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(object))]
[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, object?>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(List<object?>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
[System.Text.Json.Serialization.JsonSerializable(typeof(long))]
[System.Text.Json.Serialization.JsonSerializable(typeof(double))]
[System.Text.Json.Serialization.JsonSerializable(typeof(bool))]
internal sealed partial class TemplateJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
