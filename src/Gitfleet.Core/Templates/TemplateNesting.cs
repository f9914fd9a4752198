namespace Gitfleet.Core.Templates;

/// <summary>
/// Checks how deeply a template's blocks ({{#...}} ... {{/...}}) and subexpressions (parentheses) nest before
/// Handlebars compiles it: its compiler recurses per level, so a template nested thousands deep would end the process.
/// </summary>
internal static class TemplateNesting
{
    public static void Check(string source, int maxNesting)
    {
        var blocks = 0;
        var index = 0;
        while ((index = source.IndexOf("{{", index, StringComparison.Ordinal)) >= 0)
        {
            var start = index;
            var body = index + 2;
            while (body < source.Length && source[body] is '{' or '~' or ' ')
            {
                body++;
            }

            var comment = body < source.Length && source[body] == '!';
            var close = source.IndexOf(comment && source.AsSpan(body).StartsWith("!--") ? "--}}" : "}}", body, StringComparison.Ordinal);
            if (close < 0)
            {
                return; // Unclosed: the compiler reports it.
            }

            index = close + 2;
            if (comment || body >= close)
            {
                continue;
            }

            switch (source[body])
            {
                case '#' or '^':
                    blocks++;
                    break;
                case '/':
                    blocks--;
                    break;
            }

            var parentheses = 0;
            var deepest = 0;
            for (var i = body; i < close; i++)
            {
                parentheses += source[i] switch { '(' => 1, ')' => -1, _ => 0 };
                deepest = Math.Max(deepest, parentheses);
            }

            if (blocks > maxNesting || deepest > maxNesting)
            {
                var line = source.AsSpan(0, start).Count('\n');
                var column = start - (source.LastIndexOf('\n', Math.Max(0, start - 1)) + 1);
                throw new TemplateSyntaxException($"blocks and subexpressions nest deeper than {maxNesting} levels Occured at: {line}:{column}");
            }
        }
    }
}
