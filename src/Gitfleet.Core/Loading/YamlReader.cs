using System.Globalization;
using Gitfleet.Core.Diagnostics;
using Gitfleet.Core.Yaml;

namespace Gitfleet.Core.Loading;

/// <summary>
/// Typed reads from parsed YAML that report wrong types and unknown keys as diagnostics. One instance per
/// load, collecting every problem (a fleet file is checked completely, not up to its first error).
/// </summary>
internal sealed class YamlReader(List<Diagnostic> diagnostics, YamlBudget? budget = null)
{
    public List<Diagnostic> Diagnostics { get; } = diagnostics;

    /// <summary>What the revision's files may hold together (<see cref="YamlLimits"/>); shared by every file this reader parses.</summary>
    public YamlBudget Budget { get; } = budget ?? new YamlBudget(YamlLimits.Default);

    /// <summary>Parses one file of the revision within the revision's budget; null (and a diagnostic) when it cannot be used.</summary>
    public object? Parse(string file, string text, out bool ok) => YamlLoader.Parse(file, text, Diagnostics, out ok, Budget);

    public void Error(string code, SourceLocation location, string message) =>
        Diagnostics.Add(Diagnostic.Error(code, location, message));

    public void Warning(string code, SourceLocation location, string message) =>
        Diagnostics.Add(Diagnostic.Warning(code, location, message));

    /// <summary>Reports every key of <paramref name="map"/> that is not in <paramref name="known"/>.</summary>
    public void CheckKeys(YamlMap map, string what, params string[] known)
    {
        foreach (var key in map.Keys)
        {
            if (!known.Contains(key, StringComparer.Ordinal))
            {
                Error(DiagnosticCodes.UnknownKey, map.KeyLocation(key),
                    $"unknown key '{key}' in {what}{DidYouMean.Hint(key, known)}; expected one of: {string.Join(", ", known)}");
            }
        }
    }

    public YamlMap? Map(YamlMap parent, string key, string what, bool required = false)
    {
        if (!parent.TryGetValue(key, out var value) || value is null)
        {
            if (required)
            {
                Error(DiagnosticCodes.WrongType, parent.Location, $"{what} needs a '{key}' mapping");
            }

            return null;
        }

        if (value is YamlMap map)
        {
            return map;
        }

        Error(DiagnosticCodes.WrongType, parent.ValueLocation(key), $"'{key}' in {what} must be a mapping, not {Describe(value)}");
        return null;
    }

    public YamlList? List(YamlMap parent, string key, string what)
    {
        if (!parent.TryGetValue(key, out var value) || value is null)
        {
            return null;
        }

        if (value is YamlList list)
        {
            return list;
        }

        Error(DiagnosticCodes.WrongType, parent.ValueLocation(key), $"'{key}' in {what} must be a list, not {Describe(value)}");
        return null;
    }

    /// <summary>A string value; scalars of other types are reported unless <paramref name="coerce"/> allows them.</summary>
    public string? String(YamlMap parent, string key, string what, bool required = false, bool coerce = false)
    {
        if (!parent.TryGetValue(key, out var value) || value is null)
        {
            if (required)
            {
                Error(DiagnosticCodes.WrongType, parent.Location, $"{what} needs '{key}'");
            }

            return null;
        }

        if (value is string text)
        {
            if (required && text.Length == 0)
            {
                Error(DiagnosticCodes.InvalidValue, parent.ValueLocation(key), $"'{key}' in {what} must not be empty");
                return null;
            }

            return text;
        }

        if (coerce && ScalarToString(value) is { } scalar)
        {
            return scalar;
        }

        Error(DiagnosticCodes.WrongType, parent.ValueLocation(key), $"'{key}' in {what} must be a string, not {Describe(value)}");
        return null;
    }

    public bool? Bool(YamlMap parent, string key, string what)
    {
        if (!parent.TryGetValue(key, out var value) || value is null)
        {
            return null;
        }

        if (value is bool flag)
        {
            return flag;
        }

        Error(DiagnosticCodes.WrongType, parent.ValueLocation(key), $"'{key}' in {what} must be true or false, not {Describe(value)}");
        return null;
    }

    public int? Integer(YamlMap parent, string key, string what, int minimum, int maximum = int.MaxValue)
    {
        if (!parent.TryGetValue(key, out var value) || value is null)
        {
            return null;
        }

        if (value is long number && number >= minimum && number <= maximum)
        {
            return (int)number;
        }

        Error(value is long ? DiagnosticCodes.InvalidValue : DiagnosticCodes.WrongType, parent.ValueLocation(key), maximum == int.MaxValue
            ? $"'{key}' in {what} must be a whole number of at least {minimum}, not {Describe(value)}"
            : $"'{key}' in {what} must be a whole number from {minimum} to {maximum}, not {Describe(value)}");
        return null;
    }

    /// <summary>A map whose values are scalars, turned into strings (labels, identity, matchLabels).</summary>
    public Dictionary<string, string>? StringMap(YamlMap parent, string key, string what)
    {
        var map = Map(parent, key, what);
        if (map is null)
        {
            return null;
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in map)
        {
            if (ScalarToString(value) is { } text)
            {
                result[name] = text;
            }
            else
            {
                Error(DiagnosticCodes.WrongType, map.ValueLocation(name), $"'{key}.{name}' in {what} must be a string, not {Describe(value)}");
            }
        }

        return result;
    }

    public static string? ScalarToString(object? value) => value switch
    {
        string s => s,
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        _ => null,
    };

    public static string Describe(object? value) => value switch
    {
        null => "null",
        string s => $"the string \"{(s.Length > 40 ? s[..40] + "..." : s)}\"",
        bool b => $"the boolean {(b ? "true" : "false")}",
        long or double => $"the number {ScalarToString(value)}",
        YamlMap => "a mapping",
        YamlList => "a list",
        _ => value.GetType().Name,
    };
}
