using System.Globalization;
using HandlebarsDotNet;
using HandlebarsDotNet.IO;

namespace Gitfleet.Core.Templates;

/// <summary>Formats YAML scalars the way JSON and YAML write them: <c>true</c>, not <c>True</c>; invariant numbers.</summary>
internal sealed class JsonValueFormatters : IFormatterProvider
{
    public bool TryCreateFormatter(Type type, out IFormatter formatter)
    {
        if (type == typeof(bool))
        {
            formatter = new BoolFormatter();
            return true;
        }

        if (type == typeof(double))
        {
            formatter = new DoubleFormatter();
            return true;
        }

        formatter = null!;
        return false;
    }

    private sealed class BoolFormatter : IFormatter
    {
        public void Format<T>(T value, in EncodedTextWriter writer) =>
            writer.Write(value is true ? "true" : "false", false);
    }

    private sealed class DoubleFormatter : IFormatter
    {
        public void Format<T>(T value, in EncodedTextWriter writer) =>
            writer.Write(value is double d ? d.ToString("R", CultureInfo.InvariantCulture) : "", false);
    }
}
