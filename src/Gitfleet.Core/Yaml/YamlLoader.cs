using System.Globalization;
using Gitfleet.Core.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.Core.Tokens;
using YamlDotNet.RepresentationModel;

namespace Gitfleet.Core.Yaml;

/// <summary>
/// Parses YAML text into <see cref="YamlMap"/>/<see cref="YamlList"/> trees with source locations.
/// Plain scalars are typed the way Ansible (PyYAML, YAML 1.1) types them: null/~/empty, true/false/yes/no/on/off,
/// integers, floats; quoted scalars are always strings. Errors become diagnostics, never exceptions.
/// </summary>
public static class YamlLoader
{
    /// <summary>Parses a single-document file. Returns null (and a diagnostic) on a syntax error.</summary>
    public static object? Parse(string file, string text, List<Diagnostic> diagnostics, out bool ok)
    {
        ArgumentNullException.ThrowIfNull(diagnostics);
        ok = false;
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
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

        if (stream.Documents.Count > 1)
        {
            var second = stream.Documents[1].RootNode.Start;
            diagnostics.Add(Diagnostic.Error(DiagnosticCodes.YamlSyntax, Location(file, second), "a fleet file holds one YAML document; found a second one"));
            return null;
        }

        ok = true;
        return stream.Documents.Count == 0 ? null : Convert(file, stream.Documents[0].RootNode, diagnostics);
    }

    private static object? Convert(string file, YamlNode node, List<Diagnostic> diagnostics)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                var map = new YamlMap(Location(file, mapping.Start));
                foreach (var (keyNode, valueNode) in mapping.Children)
                {
                    if (keyNode is not YamlScalarNode { Value: { } key })
                    {
                        diagnostics.Add(Diagnostic.Error(DiagnosticCodes.WrongType, Location(file, keyNode.Start), "mapping keys must be plain strings"));
                        continue;
                    }

                    map[key] = Convert(file, valueNode, diagnostics);
                    map.KeyLocations[key] = Location(file, keyNode.Start);
                    map.ValueLocations[key] = Location(file, valueNode.Start);
                }

                return map;
            case YamlSequenceNode sequence:
                var list = new YamlList(Location(file, sequence.Start));
                foreach (var item in sequence.Children)
                {
                    list.Add(Convert(file, item, diagnostics));
                    list.ItemLocations.Add(Location(file, item.Start));
                }

                return list;
            case YamlScalarNode scalar:
                return TypeScalar(scalar);
            default:
                return null;
        }
    }

    /// <summary>YAML 1.1 typing of plain scalars, as PyYAML (and so Ansible) does it.</summary>
    internal static object? TypeScalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
        {
            return value;
        }

        if (!scalar.Tag.IsEmpty && scalar.Tag.Value == "tag:yaml.org,2002:str")
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
        catch (YamlException)
        {
            return null; // Another problem: the parser's location is the right one.
        }

        return open.Count > 0 ? open.Peek() : null;
    }

    private static SourceLocation Location(string file, Mark mark) =>
        new(file, (int)Math.Max(1, mark.Line), (int)Math.Max(1, mark.Column));

    private static string CleanMessage(YamlException e)
    {
        // YamlDotNet prefixes messages with "(Line: x, Col: y, Idx: z) - (Line: ...): "; we print the location ourselves.
        var message = e.InnerException is YamlException inner && inner.Message.Length > 0 ? inner.Message : e.Message;
        var cut = message.LastIndexOf("): ", StringComparison.Ordinal);
        return cut >= 0 ? message[(cut + 3)..] : message;
    }
}
