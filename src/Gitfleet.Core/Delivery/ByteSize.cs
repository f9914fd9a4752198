using System.Globalization;

namespace Gitfleet.Core.Delivery;

/// <summary>Byte counts as people write them in gitfleet.yml ("500MB", "20 GiB", "1.5TB") and as tables show them.</summary>
public static class ByteSize
{
    private static readonly (string Suffix, long Factor)[] Units =
    [
        ("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30), ("TiB", 1L << 40),
        ("KB", 1000L), ("MB", 1000L * 1000), ("GB", 1000L * 1000 * 1000), ("TB", 1000L * 1000 * 1000 * 1000),
        ("B", 1L),
    ];

    /// <summary>Parses "123", "500MB", "20 GiB", "1.5TB" (decimal units are powers of 1000, binary ones of 1024).</summary>
    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var trimmed = text.Trim();
        foreach (var (suffix, factor) in Units)
        {
            if (trimmed.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return Scale(trimmed[..^suffix.Length].TrimEnd(), factor, out bytes);
            }
        }

        return Scale(trimmed, 1, out bytes);
    }

    /// <summary>"812 B", "4.2 MB", "1.07 GB", "25.3 TB" (decimal units, three significant digits).</summary>
    public static string Format(long bytes)
    {
        if (bytes < 1000)
        {
            return bytes.ToString(CultureInfo.InvariantCulture) + " B";
        }

        string[] names = ["kB", "MB", "GB", "TB", "PB"];
        double value = bytes;
        var unit = -1;
        while (value >= 1000 && unit < names.Length - 1)
        {
            value /= 1000;
            unit++;
        }

        var format = value >= 100 ? "0" : value >= 10 ? "0.0" : "0.00";
        return value.ToString(format, CultureInfo.InvariantCulture) + " " + names[unit];
    }

    private static bool Scale(string number, long factor, out long bytes)
    {
        bytes = 0;
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value < 0 || value * factor > long.MaxValue)
        {
            return false;
        }

        bytes = (long)Math.Round(value * factor);
        return true;
    }
}
