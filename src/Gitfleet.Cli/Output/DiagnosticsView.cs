using Gitfleet.Core.Diagnostics;
using Spectre.Console;

namespace Gitfleet.Cli.Output;

/// <summary>Prints diagnostics as compilers do (file:line:col: error: message [code]), errors in red.</summary>
internal static class DiagnosticsView
{
    public static void Print(CliConsole console, IEnumerable<Diagnostic> diagnostics)
    {
        foreach (var diagnostic in diagnostics)
        {
            var colour = diagnostic.IsError ? "red" : "yellow";
            var where = diagnostic.Location is null ? "" : $"{Markup.Escape(diagnostic.Location.ToString())}: ";
            var severity = diagnostic.IsError ? "error" : "warning";
            console.Out.MarkupLine($"{where}[{colour}]{severity}[/]: {Markup.Escape(diagnostic.Message)} [grey][[{diagnostic.Code}]][/]");
        }
    }

    public static DiagnosticJson ToJson(Diagnostic diagnostic) => new(
        diagnostic.IsError ? "error" : "warning",
        diagnostic.Code,
        diagnostic.Message,
        diagnostic.Location?.File,
        diagnostic.Location?.Line,
        diagnostic.Location?.Column);
}
