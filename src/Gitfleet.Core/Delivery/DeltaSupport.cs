namespace Gitfleet.Core.Delivery;

/// <summary>How a device says it applies delta updates, and the formats Gitfleet generates.</summary>
public static class DeltaSupport
{
    /// <summary>
    /// The inventory attribute the device package's inventory script reports: the delta formats the device applies,
    /// comma-separated (present only when the gitfleet-delta update module and its tool are installed).
    /// </summary>
    public const string FormatsAttribute = "gitfleet_delta_formats";

    /// <summary>The format the server generates: VCDIFF (RFC 3284) from xdelta3, chosen by measurement (docs/artifacts.md).</summary>
    public const string Xdelta3 = "xdelta3";

    /// <summary>True when a device's attributes say it applies <paramref name="format"/>.</summary>
    public static bool Applies(IReadOnlyDictionary<string, string> attributes, string format = Xdelta3)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        return attributes.TryGetValue(FormatsAttribute, out var formats) && Lists(formats, format);
    }

    /// <summary>True when the comma-separated list <paramref name="formats"/> names <paramref name="format"/>.</summary>
    public static bool Lists(string? formats, string format = Xdelta3) =>
        formats is not null && formats.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Contains(format, StringComparer.Ordinal);
}
