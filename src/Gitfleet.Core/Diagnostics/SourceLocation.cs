namespace Gitfleet.Core.Diagnostics;

/// <summary>A place in a fleet repository file. Line and column are 1-based, as editors show them.</summary>
public sealed record SourceLocation(string File, int Line, int Column)
{
    /// <summary>A location that names a whole file (line 1, column 1).</summary>
    public static SourceLocation OfFile(string file) => new(file, 1, 1);

    public override string ToString() => $"{File}:{Line}:{Column}";
}
