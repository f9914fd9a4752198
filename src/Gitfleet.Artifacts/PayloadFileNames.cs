using System.Text.RegularExpressions;

namespace Gitfleet.Artifacts;

/// <summary>The names Mender clients accept for payload files: letters, digits and '.,_-', no directories.</summary>
internal static partial class PayloadFileNames
{
    public const string Rule = "Mender clients accept only letters, digits and '.,_-' (no directories)";

    public static bool IsValid(string name) => Pattern().IsMatch(name);

    /// <summary>Go's \w in mender-artifact's pattern is ASCII-only.</summary>
    [GeneratedRegex(@"^[A-Za-z0-9_\-.,]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
