namespace Gitfleet.Core.Templates;

/// <summary>A variable a template reads at the top level of its context, with where it is written.</summary>
public sealed record TemplateReference(string Name, int Line, int Column);

/// <summary>
/// Finds the top-level variables a Handlebars template reads, with line and column, so `validate` can report
/// an undefined variable at the place it is used. Inside <c>#each</c>/<c>#with</c> blocks the context changes,
/// so references there are not checked; <c>this</c>, <c>@data</c> and <c>../</c> paths are skipped.
/// </summary>
public static class TemplateReferenceScanner
{
    public static IReadOnlyList<TemplateReference> Scan(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var references = new List<TemplateReference>();
        var blocks = new Stack<bool>(); // true when the block changes the context
        var scopedDepth = 0;
        var index = 0;
        var line = 1;
        var column = 1;

        void Advance(int to)
        {
            for (; index < to && index < source.Length; index++)
            {
                if (source[index] == '\n')
                {
                    line++;
                    column = 1;
                }
                else
                {
                    column++;
                }
            }
        }

        while (true)
        {
            var open = source.IndexOf("{{", index, StringComparison.Ordinal);
            if (open < 0)
            {
                break;
            }

            Advance(open);
            var startLine = line;
            var startColumn = column;
            var isComment = source.AsSpan(open + 2).TrimStart('~').StartsWith("!");
            var closeToken = source.AsSpan(open).StartsWith("{{!--") ? "--}}" : "}}";
            var close = source.IndexOf(closeToken, open + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                break; // The compiler reports the unclosed expression.
            }

            var body = source[(open + 2)..close].Trim('{', '}', '~', ' ', '\t', '\r', '\n');
            Advance(close + closeToken.Length);
            if (isComment || body.Length == 0)
            {
                continue;
            }

            switch (body[0])
            {
                case '#' or '^':
                    var tokens = Tokenize(body[1..]);
                    var helper = tokens.Count > 0 ? tokens[0] : "";
                    var changesContext = helper is not ("if" or "unless");
                    if (scopedDepth == 0)
                    {
                        AddPaths(references, body[0] == '^' ? tokens : tokens.Skip(1), startLine, startColumn);
                    }

                    blocks.Push(changesContext);
                    if (changesContext)
                    {
                        scopedDepth++;
                    }

                    break;
                case '/':
                    if (blocks.Count > 0 && blocks.Pop())
                    {
                        scopedDepth--;
                    }

                    break;
                case '>':
                    break;
                default:
                    if (scopedDepth == 0 && body != "else" && !body.StartsWith("else ", StringComparison.Ordinal))
                    {
                        var parts = Tokenize(body);
                        var arguments = parts.Count > 1 || (parts.Count == 1 && TemplateEngine.KnownHelpers.Contains(parts[0])) ? parts.Skip(1) : parts;
                        AddPaths(references, arguments, startLine, startColumn);
                    }

                    break;
            }
        }

        return references;
    }

    private static void AddPaths(List<TemplateReference> references, IEnumerable<string> tokens, int line, int column)
    {
        foreach (var raw in tokens)
        {
            var token = raw.Contains('=', StringComparison.Ordinal) ? raw[(raw.IndexOf('=', StringComparison.Ordinal) + 1)..] : raw;
            if (token.Length == 0 || token[0] is '"' or '\'' or '@' or '.' || char.IsAsciiDigit(token[0]) || token[0] == '-'
                || token is "true" or "false" or "null" or "undefined" || token.StartsWith("this", StringComparison.Ordinal)
                || TemplateEngine.KnownHelpers.Contains(token))
            {
                continue;
            }

            var end = token.IndexOfAny(['.', '/', '[']);
            var root = end < 0 ? token : token[..end];
            if (root.Length > 0)
            {
                references.Add(new TemplateReference(root, line, column));
            }
        }
    }

    /// <summary>Splits a mustache body on whitespace and parentheses, keeping quoted strings whole.</summary>
    private static List<string> Tokenize(string body)
    {
        var tokens = new List<string>();
        var current = new System.Text.StringBuilder();
        char? quote = null;
        foreach (var c in body)
        {
            if (quote is not null)
            {
                current.Append(c);
                if (c == quote)
                {
                    quote = null;
                }

                continue;
            }

            if (c is '"' or '\'')
            {
                quote = c;
                current.Append(c);
                continue;
            }

            if (char.IsWhiteSpace(c) || c is '(' or ')')
            {
                if (current.Length > 0)
                {
                    tokens.Add(current.ToString());
                    current.Clear();
                }

                continue;
            }

            current.Append(c);
        }

        if (current.Length > 0)
        {
            tokens.Add(current.ToString());
        }

        return tokens;
    }
}
