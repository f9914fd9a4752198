using System.Text;
using HandlebarsDotNet;

namespace Gitfleet.Core.Templates;

/// <summary>
/// Templates produce JSON, so <c>{{value}}</c> is escaped for a JSON string (quotes, backslashes, control
/// characters) instead of Handlebars' default HTML escaping. A value can never break out of its quotes.
/// </summary>
internal sealed class JsonStringEncoder : ITextEncoder
{
    public void Encode(StringBuilder? text, TextWriter target)
    {
        Encode(text?.ToString(), target);
    }

    public void Encode(string? text, TextWriter target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (string.IsNullOrEmpty(text))
        {
            return;
        }

        foreach (var c in text)
        {
            switch (c)
            {
                case '"':
                    target.Write("\\\"");
                    break;
                case '\\':
                    target.Write("\\\\");
                    break;
                case '\n':
                    target.Write("\\n");
                    break;
                case '\r':
                    target.Write("\\r");
                    break;
                case '\t':
                    target.Write("\\t");
                    break;
                case < ' ':
                    target.Write($"\\u{(int)c:x4}");
                    break;
                default:
                    target.Write(c);
                    break;
            }
        }
    }

    public void Encode<T>(T? text, TextWriter target)
        where T : IEnumerator<char>
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = new StringBuilder();
        while (text.MoveNext())
        {
            builder.Append(text.Current);
        }

        Encode(builder.ToString(), target);
    }
}
