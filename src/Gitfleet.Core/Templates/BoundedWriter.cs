using System.Text;

namespace Gitfleet.Core.Templates;

/// <summary>The output of one render: every write is counted against the render's limits before it is kept.</summary>
internal sealed class BoundedWriter(TemplateEngine.RenderScope scope) : TextWriter
{
    private readonly StringBuilder text = new();

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        scope.Wrote(1);
        text.Append(value);
    }

    public override void Write(string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            scope.Wrote(value.Length);
            text.Append(value);
        }
    }

    public override void Write(char[] buffer, int index, int count)
    {
        scope.Wrote(count);
        text.Append(buffer, index, count);
    }

    public override void Write(ReadOnlySpan<char> buffer)
    {
        scope.Wrote(buffer.Length);
        text.Append(buffer);
    }

    public override string ToString() => text.ToString();
}
