using System.CommandLine;
using System.Reflection;

namespace Gitfleet.Cli.Commands;

internal static class VersionCommand
{
    public static Command Create(CliConsole console)
    {
        var command = new Command("version", "Print Gitfleet's version.");
        command.SetAction(_ =>
        {
            var version = typeof(VersionCommand).Assembly
                .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
            console.Json.WriteLine($"gitfleet {version}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
