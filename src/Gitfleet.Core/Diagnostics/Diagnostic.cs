namespace Gitfleet.Core.Diagnostics;

public enum Severity
{
    Error,
    Warning,
}

/// <summary>
/// One problem found in a fleet repository, printed as <c>file:line:col: error: message [code]</c>.
/// Codes are stable so scripts and docs can refer to them (see docs/fleet-repository.md).
/// </summary>
public sealed record Diagnostic(Severity Severity, string Code, string Message, SourceLocation? Location)
{
    public static Diagnostic Error(string code, SourceLocation? location, string message) =>
        new(Severity.Error, code, message, location);

    public static Diagnostic Warning(string code, SourceLocation? location, string message) =>
        new(Severity.Warning, code, message, location);

    public bool IsError => Severity == Severity.Error;

    public override string ToString()
    {
        var severity = Severity == Severity.Error ? "error" : "warning";
        return Location is null
            ? $"{severity}: {Message} [{Code}]"
            : $"{Location}: {severity}: {Message} [{Code}]";
    }
}
