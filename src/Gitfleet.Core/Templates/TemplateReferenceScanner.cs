namespace Gitfleet.Core.Templates;

/// <summary>A variable a template reads at the top level of its context, with where it is written.</summary>
public sealed record TemplateReference(string Name, int Line, int Column);

/// <summary>
/// Everything a render of a template can depend on: the top-level variables it reads (anywhere: in blocks through
/// <c>../</c> and <c>@root</c> too), and whether it reads the device's id or host name (<c>gitfleet.device_id</c>,
/// <c>gitfleet.host</c>, or <c>gitfleet</c> whole). <see cref="Everything"/> when it reads the whole context
/// (<c>this</c> at the top, <c>@root</c>, a partial): then only the device itself identifies the input.
/// </summary>
public sealed record TemplateInputs(IReadOnlySet<string> Variables, bool DeviceId, bool Host, bool Everything)
{
    /// <summary>Two devices can render differently with equal variables.</summary>
    public bool PerDevice => DeviceId || Host || Everything;
}

/// <summary>
/// Finds what a Handlebars template reads. <see cref="Scan"/>: the top-level variables, with line and column, so
/// `validate` can report an undefined variable where it is used (inside <c>#each</c>/<c>#with</c> blocks the
/// context changes, so references there are not checked; <c>this</c>, <c>@data</c> and <c>../</c> paths are
/// skipped). <see cref="Inputs"/>: everything a render depends on, so a plan renders once per distinct input.
/// </summary>
public static class TemplateReferenceScanner
{
    public static IReadOnlyList<TemplateReference> Scan(string source) => Walk(source).References;

    public static TemplateInputs Inputs(string source)
    {
        var walk = Walk(source);
        return new TemplateInputs(walk.Roots, walk.DeviceId, walk.Host, walk.Everything);
    }

    private static Reads Walk(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var reads = new Reads();
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

        if (source.Contains("{{{{", StringComparison.Ordinal))
        {
            reads.Everything = true; // Raw blocks: not worth following.
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

            if (body.StartsWith('*') || body.StartsWith("#*", StringComparison.Ordinal) || body.StartsWith("#>", StringComparison.Ordinal))
            {
                reads.Everything = true; // decorators and partial blocks
            }

            switch (body[0])
            {
                case '#' or '^':
                    var tokens = Tokenize(body[1..]);
                    var helper = tokens.Count > 0 ? tokens[0] : "";
                    var changesContext = helper is not ("if" or "unless");
                    var parameters = body[0] == '^' ? tokens : tokens.Skip(1).ToList();
                    if (scopedDepth == 0)
                    {
                        AddPaths(reads.References, parameters, startLine, startColumn);
                    }

                    reads.Add(parameters, scopedDepth);
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
                    reads.Everything = true;
                    break;
                default:
                    var parts = Tokenize(body);
                    if (parts.Count > 0 && parts[0] == "else")
                    {
                        reads.Add(parts.Skip(1), scopedDepth);
                        break;
                    }

                    var arguments = parts.Count > 1 || (parts.Count == 1 && TemplateEngine.KnownHelpers.Contains(parts[0])) ? parts.Skip(1) : parts;
                    if (scopedDepth == 0)
                    {
                        AddPaths(reads.References, arguments, startLine, startColumn);
                    }

                    reads.Add(parts, scopedDepth);
                    break;
            }
        }

        return reads;
    }

    private static void AddPaths(List<TemplateReference> references, IEnumerable<string> tokens, int line, int column)
    {
        foreach (var raw in tokens)
        {
            var token = ValueOf(raw);
            if (IsLiteral(token) || token[0] is '@' or '.' || token.StartsWith("this", StringComparison.Ordinal))
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

    /// <summary>The value of a hash argument (<c>key=value</c>), else the token.</summary>
    private static string ValueOf(string token) =>
        token.Contains('=', StringComparison.Ordinal) ? token[(token.IndexOf('=', StringComparison.Ordinal) + 1)..] : token;

    private static bool IsLiteral(string token) =>
        token.Length == 0 || token[0] is '"' or '\'' or '-' || char.IsAsciiDigit(token[0])
        || token is "true" or "false" or "null" or "undefined" || TemplateEngine.KnownHelpers.Contains(token);

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

    /// <summary>What the walk found: top-level references (validation) and everything a render reads (planning).</summary>
    private sealed class Reads
    {
        public List<TemplateReference> References { get; } = [];

        public HashSet<string> Roots { get; } = new(StringComparer.Ordinal);

        public bool DeviceId { get; set; }

        public bool Host { get; set; }

        public bool Everything { get; set; }

        /// <summary>Records the paths among <paramref name="tokens"/>, read <paramref name="depth"/> blocks below the top context.</summary>
        public void Add(IEnumerable<string> tokens, int depth)
        {
            foreach (var raw in tokens)
            {
                var token = ValueOf(raw);
                if (IsLiteral(token) || token == "as" || token[0] == '|')
                {
                    continue;
                }

                if (token.StartsWith("@root", StringComparison.Ordinal))
                {
                    Path(token.Length > 6 && token[5] is '.' or '/' ? token[6..] : "");
                }
                else if (token[0] == '@')
                {
                    continue; // @index, @key, @first, @last
                }
                else if (token.StartsWith("../", StringComparison.Ordinal) || token == "..")
                {
                    var up = 0;
                    while (token.StartsWith("../", StringComparison.Ordinal))
                    {
                        token = token[3..];
                        up++;
                    }

                    if (up >= depth)
                    {
                        Path(token is ".." ? "" : Unqualified(token));
                    }
                }
                else if (depth == 0)
                {
                    Path(Unqualified(token));
                }
            }
        }

        /// <summary><c>this.x</c>, <c>./x</c> and <c>this/x</c> read <c>x</c>; <c>this</c> and <c>.</c> read everything ("").</summary>
        private static string Unqualified(string token)
        {
            foreach (var prefix in new[] { "this.", "this/", "./" })
            {
                if (token.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return token[prefix.Length..];
                }
            }

            return token is "this" or "." ? "" : token;
        }

        /// <summary>A path from the top context: its first segment is a variable (or gitfleet and one of its fields).</summary>
        private void Path(string path)
        {
            var (root, rest) = Split(path);
            if (root is null)
            {
                Everything = true;
                return;
            }

            if (root != "gitfleet")
            {
                Roots.Add(root);
                return;
            }

            switch (Split(rest).Segment)
            {
                case null or "":
                    DeviceId = Host = true; // the whole object
                    break;
                case "device_id":
                    DeviceId = true;
                    break;
                case "host":
                    Host = true;
                    break;
                default:
                    break; // device_type, branch, image, commit: the same for the devices that share a render
            }
        }

        /// <summary>The first segment of a path (a <c>[literal]</c> too) and the rest; null when it cannot be told.</summary>
        private static (string? Segment, string Remainder) Split(string path)
        {
            if (path.Length == 0)
            {
                return (null, "");
            }

            if (path[0] == '[')
            {
                var end = path.IndexOf(']', StringComparison.Ordinal);
                return end < 0 ? (null, "") : (path[1..end], path[(end + 1)..].TrimStart('.', '/'));
            }

            var cut = path.IndexOfAny(['.', '/', '[']);
            return cut < 0 ? (path, "") : (path[..cut], path[cut..].TrimStart('.', '/'));
        }
    }
}
