using Gitfleet.Core.Delivery;
using Gitfleet.Core.Diagnostics;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Yaml;

namespace Gitfleet.Core.Loading;

/// <summary>Reads <c>rollout.byteBudget</c>: <c>perWave</c>, <c>perHour</c>, <c>warnAbove</c>, each a byte count such as 50GB or 2 GiB.</summary>
internal sealed class ByteBudgetParser(YamlReader reader)
{
    private static readonly string[] Keys = ["perWave", "perHour", "warnAbove"];

    public ByteBudgetPolicy Parse(YamlMap budget, string what)
    {
        reader.CheckKeys(budget, what, Keys);
        return new ByteBudgetPolicy
        {
            PerWave = Bytes(budget, "perWave", what),
            PerHour = Bytes(budget, "perHour", what),
            WarnAbove = Bytes(budget, "warnAbove", what),
        };
    }

    private long? Bytes(YamlMap map, string key, string what)
    {
        if (!map.TryGetValue(key, out var value) || value is null)
        {
            return null;
        }

        if (ByteSize.TryParse(YamlReader.ScalarToString(value), out var bytes) && bytes > 0)
        {
            return bytes;
        }

        reader.Error(DiagnosticCodes.InvalidValue, map.ValueLocation(key),
            $"'{key}' in {what} must be a positive byte count such as 500MB, 50GB or 2GiB, not {YamlReader.Describe(value)}");
        return null;
    }
}
