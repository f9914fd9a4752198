using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Gitfleet.Core.Fleet;

/// <summary>
/// Durations as people write them in YAML, on the command line and in query parameters: 30s, 5m, 1h30m, 2d, 0.
/// One parser for all of them, range-checked: nothing longer than <see cref="Maximum"/> (a year) is accepted, so a
/// duration can always be added to a date (a soak, an offline timeout) without overflowing.
/// </summary>
public static partial class DurationText
{
    /// <summary>The longest duration accepted anywhere: 365 days.</summary>
    public static readonly TimeSpan Maximum = TimeSpan.FromDays(365);

    /// <summary><see cref="Maximum"/> as written in messages and docs.</summary>
    public const string MaximumText = "365d";

    /// <summary>What a duration looks like, for messages.</summary>
    public const string Examples = "30s, 10m, 1h30m or 2d";

    public static bool TryParse(string? text, out TimeSpan duration) => TryParse(text, out duration, out _);

    /// <summary>Parses a duration; <paramref name="problem"/> says what is wrong when it returns false.</summary>
    public static bool TryParse(string? text, out TimeSpan duration, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? problem)
    {
        duration = TimeSpan.Zero;
        problem = $"must be a duration such as {Examples}";
        if (string.IsNullOrWhiteSpace(text) || text.Length > 64)
        {
            return false;
        }

        text = text.Trim();
        if (text == "0")
        {
            problem = null;
            return true;
        }

        var match = Pattern().Match(text);
        if (!match.Success)
        {
            return false;
        }

        var milliseconds = 0.0;
        foreach (Capture capture in match.Groups["part"].Captures)
        {
            var part = capture.Value;
            var unit = part.TrimStart("0123456789.".ToCharArray());
            var number = double.Parse(part[..^unit.Length], CultureInfo.InvariantCulture);
            milliseconds += number * unit switch
            {
                "ms" => 1,
                "s" => 1000,
                "m" => 60_000,
                "h" => 3_600_000,
                "d" => 86_400_000,
                _ => 0,
            };
        }

        if (double.IsNaN(milliseconds) || milliseconds > Maximum.TotalMilliseconds)
        {
            problem = $"is longer than the maximum duration of {MaximumText}";
            return false;
        }

        duration = TimeSpan.FromMilliseconds(Math.Round(milliseconds));
        problem = null;
        return true;
    }

    public static string Format(TimeSpan duration)
    {
        if (duration == TimeSpan.Zero)
        {
            return "0s";
        }

        var text = new StringBuilder();
        if (duration.Days > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{duration.Days}d");
        }

        if (duration.Hours > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{duration.Hours}h");
        }

        if (duration.Minutes > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{duration.Minutes}m");
        }

        if (duration.Seconds > 0 || text.Length == 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{duration.Seconds}s");
        }

        return text.ToString();
    }

    [GeneratedRegex(@"^(?<part>\d+(\.\d+)?(ms|s|m|h|d))+$")]
    private static partial Regex Pattern();
}
