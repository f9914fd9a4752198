using Gitfleet.Core.Diagnostics;
using Gitfleet.Core.Selectors;
using Gitfleet.Core.Yaml;

namespace Gitfleet.Core.Loading;

/// <summary>Reads a <c>selector:</c> mapping (matchLabels, matchExpressions, groups) and reports malformed parts.</summary>
internal static class SelectorParser
{
    private static readonly string[] OperatorNames = Enum.GetNames<SelectorOperator>();

    /// <param name="validKey">Checks a label/fact key; returns an error message or null.</param>
    public static Selector? Parse(YamlReader reader, YamlMap owner, string what, bool allowGroups, Func<string, string?>? validKey = null)
    {
        var node = reader.Map(owner, "selector", what);
        if (node is null)
        {
            return null;
        }

        var known = allowGroups ? new[] { "matchLabels", "matchExpressions", "groups" } : ["matchLabels", "matchExpressions"];
        foreach (var key in node.Keys)
        {
            if (!known.Contains(key, StringComparer.Ordinal))
            {
                var hint = key == "groups" ? " (group membership is not selectable here: it would be circular)" : DidYouMean.Hint(key, known);
                reader.Error(DiagnosticCodes.MalformedSelector, node.KeyLocation(key), $"unknown selector key '{key}'{hint}; expected {string.Join(", ", known)}");
            }
        }

        var ok = true;
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (reader.Map(node, "matchLabels", $"the selector of {what}") is { } matchLabels)
        {
            foreach (var (key, value) in matchLabels)
            {
                if (YamlReader.ScalarToString(value) is not { } text)
                {
                    reader.Error(DiagnosticCodes.MalformedSelector, matchLabels.ValueLocation(key), $"matchLabels value for '{key}' must be a string, not {YamlReader.Describe(value)}");
                    ok = false;
                    continue;
                }

                if (validKey?.Invoke(key) is { } problem)
                {
                    reader.Error(DiagnosticCodes.MalformedSelector, matchLabels.KeyLocation(key), problem);
                    ok = false;
                    continue;
                }

                labels[key] = text;
            }
        }

        var requirements = new List<SelectorRequirement>();
        if (reader.List(node, "matchExpressions", $"the selector of {what}") is { } expressions)
        {
            for (var i = 0; i < expressions.Count; i++)
            {
                var location = expressions.ItemLocation(i);
                if (expressions[i] is not YamlMap expression)
                {
                    reader.Error(DiagnosticCodes.MalformedSelector, location, $"a matchExpressions entry must be a mapping with key, operator and values, not {YamlReader.Describe(expressions[i])}");
                    ok = false;
                    continue;
                }

                if (ParseRequirement(reader, expression, validKey) is { } requirement)
                {
                    requirements.Add(requirement);
                }
                else
                {
                    ok = false;
                }
            }
        }

        var groups = new List<string>();
        if (allowGroups && reader.List(node, "groups", $"the selector of {what}") is { } groupList)
        {
            for (var i = 0; i < groupList.Count; i++)
            {
                if (groupList[i] is string group && group.Length > 0)
                {
                    groups.Add(group);
                }
                else
                {
                    reader.Error(DiagnosticCodes.MalformedSelector, groupList.ItemLocation(i), $"selector groups must be group names, not {YamlReader.Describe(groupList[i])}");
                    ok = false;
                }
            }
        }

        return ok ? new Selector(labels, requirements, groups) : null;
    }

    private static SelectorRequirement? ParseRequirement(YamlReader reader, YamlMap expression, Func<string, string?>? validKey)
    {
        foreach (var name in expression.Keys)
        {
            if (name is not ("key" or "operator" or "values"))
            {
                reader.Error(DiagnosticCodes.MalformedSelector, expression.KeyLocation(name), $"unknown key '{name}' in a matchExpressions entry{DidYouMean.Hint(name, ["key", "operator", "values"])}");
                return null;
            }
        }

        if (expression.GetValueOrDefault("key") is not string key || key.Length == 0)
        {
            reader.Error(DiagnosticCodes.MalformedSelector, expression.ValueLocation("key"), "a matchExpressions entry needs a non-empty 'key'");
            return null;
        }

        if (validKey?.Invoke(key) is { } problem)
        {
            reader.Error(DiagnosticCodes.MalformedSelector, expression.ValueLocation("key"), problem);
            return null;
        }

        if (expression.GetValueOrDefault("operator") is not string operatorName || !Enum.TryParse<SelectorOperator>(operatorName, ignoreCase: false, out var op) || !OperatorNames.Contains(operatorName))
        {
            var given = expression.GetValueOrDefault("operator") is string s ? $"'{s}'" : "none";
            var hint = expression.GetValueOrDefault("operator") is string t ? DidYouMean.Hint(t, OperatorNames) : "";
            reader.Error(DiagnosticCodes.MalformedSelector, expression.ValueLocation("operator"), $"operator must be one of {string.Join(", ", OperatorNames)}; got {given}{hint}");
            return null;
        }

        var values = new List<string>();
        if (expression.TryGetValue("values", out var rawValues) && rawValues is not null)
        {
            if (rawValues is not YamlList list)
            {
                reader.Error(DiagnosticCodes.MalformedSelector, expression.ValueLocation("values"), $"'values' must be a list, not {YamlReader.Describe(rawValues)}");
                return null;
            }

            for (var i = 0; i < list.Count; i++)
            {
                if (YamlReader.ScalarToString(list[i]) is { } text)
                {
                    values.Add(text);
                }
                else
                {
                    reader.Error(DiagnosticCodes.MalformedSelector, list.ItemLocation(i), $"selector values must be strings, not {YamlReader.Describe(list[i])}");
                    return null;
                }
            }
        }

        switch (op)
        {
            case SelectorOperator.In or SelectorOperator.NotIn when values.Count == 0:
                reader.Error(DiagnosticCodes.MalformedSelector, expression.Location, $"operator {op} needs a non-empty 'values' list");
                return null;
            case SelectorOperator.Exists or SelectorOperator.DoesNotExist when values.Count > 0:
                reader.Error(DiagnosticCodes.MalformedSelector, expression.ValueLocation("values"), $"operator {op} takes no 'values'");
                return null;
        }

        return new SelectorRequirement(key, op, values);
    }
}
