using System.Collections;
using System.Collections.Concurrent;
using System.Text.Json;
using HandlebarsDotNet;

namespace Gitfleet.Core.Templates;

/// <summary>
/// One configured Handlebars environment: JSON string escaping, JSON-style scalars, strict binding (an
/// undefined variable is an error, not an empty string), and the helpers <c>env</c> (a secret from an
/// environment variable) and <c>json</c> (a value written as JSON). Compiled templates are cached by source.
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
    private readonly ConcurrentDictionary<string, HandlebarsTemplate<object, object>> compiled = new(StringComparer.Ordinal);

    public TemplateEngine()
    {
        var configuration = new HandlebarsConfiguration
        {
            ThrowOnUnresolvedBindingExpression = true,
            TextEncoder = new JsonStringEncoder(),
        };
        configuration.FormatterProviders.Add(new JsonValueFormatters());
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

    /// <summary>Compiles (or returns the cached compilation of) a template; throws <see cref="TemplateSyntaxException"/>.</summary>
    public HandlebarsTemplate<object, object> Compile(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return compiled.GetOrAdd(source, s =>
        {
            try
            {
                return handlebars.Compile(s);
            }
            catch (HandlebarsException e)
            {
                throw new TemplateSyntaxException(e.Message.ReplaceLineEndings(" ").Trim(), e);
            }
        });
    }

    /// <summary>Renders with a secret source; reports the secrets used and the ones missing.</summary>
    public string Render(string source, object context, Func<string, string?> secrets, out RenderScope scope)
    {
        var template = Compile(source);
        scope = new RenderScope(secrets);
        var previous = currentScope;
        currentScope = scope;
        try
        {
            return template(context);
        }
        finally
        {
            currentScope = previous;
        }
    }

    private static object? ToJsonValue(object? value) => value switch
    {
        null or string or bool or long or double or int => value,
        IDictionary<string, object?> map => map.ToDictionary(kv => kv.Key, kv => ToJsonValue(kv.Value), StringComparer.Ordinal),
        IEnumerable list => list.Cast<object?>().Select(ToJsonValue).ToList(),
        _ => value.ToString(),
    };

    /// <summary>What one render used: secret values (to redact) and missing environment variables.</summary>
    public sealed class RenderScope(Func<string, string?> secrets)
    {
        public Func<string, string?> Secrets { get; } = secrets;

        public HashSet<string> SecretValues { get; } = new(StringComparer.Ordinal);

        public SortedSet<string> MissingSecrets { get; } = new(StringComparer.Ordinal);
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
