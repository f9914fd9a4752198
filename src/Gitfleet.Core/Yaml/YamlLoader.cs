using System.Globalization;
using Gitfleet.Core.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.Core.Tokens;

namespace Gitfleet.Core.Yaml;

/// <summary>
/// Parses YAML text into <see cref="YamlMap"/>/<see cref="YamlList"/> trees with source locations.
/// Plain scalars are typed the way Ansible (PyYAML, YAML 1.1) types them: null/~/empty, true/false/yes/no/on/off,
/// integers, floats; quoted scalars are always strings. Errors become diagnostics, never exceptions.
/// The tree is built from YamlDotNet's event parser with an explicit stack (no recursion, whatever the nesting), and
/// within <see cref="YamlLimits"/>: nesting depth, aliases, and nodes per file and per revision (aliases expanded). An
/// alias to the node that contains it, or past a limit, is a diagnostic at its file:line:col, never a crash.
/// </summary>
public static class YamlLoader
{
    /// <summary>Parses a single-document file. Returns null (and a diagnostic) on a syntax error or an exceeded limit.</summary>
    /// <param name="budget">The revision's budget, shared by its files; null: a budget of the default limits for this file alone.</param>
    public static object? Parse(string file, string text, List<Diagnostic> diagnostics, out bool ok, YamlBudget? budget = null)
    {
        ArgumentNullException.ThrowIfNull(diagnostics);
        ArgumentNullException.ThrowIfNull(text);
        ok = false;
        var builder = new YamlTreeBuilder(file, budget ?? new YamlBudget(YamlLimits.Default), diagnostics);
        try
        {
            var root = builder.Build(new Parser(new StringReader(text)));
            ok = true;
            return root;
        }
        catch (YamlException e)
        {
            var line = (int)Math.Max(1, e.Start.Line);
            var column = (int)Math.Max(1, e.Start.Column);
            var message = CleanMessage(e);
            if (UnclosedFlow(text) is { } open)
            {
                // The parser notices at the end of the file; the user needs the bracket that is not closed.
                (line, column) = ((int)open.Start.Line, (int)open.Start.Column);
                message = $"this {(open is FlowSequenceStart ? "'[' list" : "'{' mapping")} is not closed ({message.TrimEnd('.')})";
            }

            diagnostics.Add(Diagnostic.Error(DiagnosticCodes.YamlSyntax, new SourceLocation(file, line, column), $"YAML syntax error: {message}"));
            return null;
        }
        catch (YamlLimitException e)
        {
            diagnostics.Add(Diagnostic.Error(e.Code, e.Location, e.Message));
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // YamlDotNet's parser fails a few malformed streams with an internal-state error instead of a YamlException
            // (found by the fuzz tests: "The scanner should contain no more tokens.", and ArgumentExceptions for a
            // %TAG directive with an empty prefix or one that is not a valid URI): still a syntax error of this file.
            // The message loses .NET's "(Parameter 'x')" suffix, which means nothing to the author of the file.
            var message = e is ArgumentException { ParamName: { } parameter } ? e.Message.Replace($" (Parameter '{parameter}')", "", StringComparison.Ordinal) : e.Message;
            diagnostics.Add(Diagnostic.Error(DiagnosticCodes.YamlSyntax, builder.LastLocation ?? SourceLocation.OfFile(file), $"YAML syntax error: {message}"));
            return null;
        }
    }

    /// <summary>YAML 1.1 typing of plain scalars, as PyYAML (and so Ansible) does it.</summary>
    internal static object? TypeScalar(string? text, ScalarStyle style, TagName tag)
    {
        var value = text ?? "";
        if (style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
        {
            return value;
        }

        if (!tag.IsEmpty && tag.Value == "tag:yaml.org,2002:str")
        {
            return value;
        }

        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "on" or "On" or "ON":
                return true;
            case "false" or "False" or "FALSE" or "no" or "No" or "NO" or "off" or "Off" or "OFF":
                return false;
        }

        if (LooksNumeric(value))
        {
            if (long.TryParse(value.Replace("_", "", StringComparison.Ordinal), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
            {
                return integer;
            }

            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && !value.EndsWith('.'))
            {
                return number;
            }
        }

        return value;
    }

    private static bool LooksNumeric(string value)
    {
        if (value.Length == 0)
        {
            return false;
        }

        var first = value[0];
        return char.IsAsciiDigit(first) || ((first is '-' or '+' or '.') && value.Length > 1 && (char.IsAsciiDigit(value[1]) || value[1] == '.'));
    }

    /// <summary>The innermost flow list or mapping ('[', '{') still open at the end of a text that scans cleanly, or null.</summary>
    private static Token? UnclosedFlow(string text)
    {
        var open = new Stack<Token>();
        var scanner = new Scanner(new StringReader(text));
        try
        {
            while (scanner.MoveNext())
            {
                switch (scanner.Current)
                {
                    case Error:
                        return null; // Another problem (the scanner repeats it): the parser's location is the right one.
                    case FlowSequenceStart or FlowMappingStart:
                        open.Push(scanner.Current);
                        break;
                    case FlowSequenceEnd or FlowMappingEnd when open.Count > 0:
                        open.Pop();
                        break;
                }
            }
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException)
        {
            // Another problem (the scanner fails some malformed streams with an internal-state error, as the parser
            // does: found by the fuzz tests): the parser's location is the right one.
            return null;
        }

        return open.Count > 0 ? open.Peek() : null;
    }

    internal static SourceLocation Location(string file, Mark mark) =>
        new(file, (int)Math.Max(1, mark.Line), (int)Math.Max(1, mark.Column));

    private static string CleanMessage(YamlException e)
    {
        // YamlDotNet prefixes messages with "(Line: x, Col: y, Idx: z) - (Line: ...): "; we print the location ourselves.
        var message = e.InnerException is YamlException inner && inner.Message.Length > 0 ? inner.Message : e.Message;
        var cut = message.LastIndexOf("): ", StringComparison.Ordinal);
        return cut >= 0 ? message[(cut + 3)..] : message;
    }
}
