using System.Globalization;
using System.Text;

namespace Gitfleet.Artifacts.Json;

/// <summary>
/// mender-artifact's rule for artifact names, groups and device types: at most 256 characters, all printable
/// (Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space).
/// </summary>
internal static class MenderStrings
{
    public const int MaxLength = 256;

    /// <summary>What is wrong with <paramref name="value"/>, or null when it is acceptable.</summary>
    public static string? Problem(string value)
    {
        if (value.Length > MaxLength)
        {
            return $"is longer than {MaxLength} characters ({value.Length})";
        }

        foreach (var rune in value.EnumerateRunes())
        {
            if (!IsPrintable(rune))
            {
                return $"contains a non-printable character (U+{rune.Value:X4})";
            }
        }

        return null;
    }

    private static bool IsPrintable(Rune rune) =>
        rune.Value == ' ' || Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
                or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned
                or UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator
                or UnicodeCategory.ParagraphSeparator => false,
            _ => true,
        };
}
