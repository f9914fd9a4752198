using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Gitfleet.Client;
using Spectre.Console;

namespace Gitfleet.Cli.Commands;

/// <summary><c>gitfleet history DEVICE</c>: which commit put which image and configuration on a device, and when.</summary>
internal static class HistoryCommand
{
    public static Command Create(CliConsole console)
    {
        var device = new Argument<string>("DEVICE") { Description = "The device id." };
        var json = CommonOptions.Json();
        var connection = new ServerConnection(required: true);
        var command = new Command("history", "A device's deployments, newest first, each with the branch, commit, author and subject that scheduled it.")
        {
            device, json,
        };
        connection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = await connection.ConnectAsync(parse, console, cancellationToken).ConfigureAwait(false);
            await StatusCommand.RequireBranchesAsync(client, "history", cancellationToken).ConfigureAwait(false);
            IReadOnlyList<DeviceHistoryEntry> history;
            try
            {
                history = await client.GetDeviceHistoryAsync(parse.GetValue(device)!, cancellationToken).ConfigureAwait(false);
            }
            catch (ManagementApiException e) when (e.StatusCode == 404)
            {
                return console.Fail($"the server knows no device '{parse.GetValue(device)}'");
            }
            catch (ManagementApiException e)
            {
                throw new CliException(e.Message, e);
            }

            if (parse.GetValue(json))
            {
                console.Json.WriteLine(JsonSerializer.Serialize(history, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true }));
                return ExitCodes.Ok;
            }

            var table = new Table().Border(TableBorder.Rounded).AddColumn("When").AddColumn("Kind").AddColumn("What").AddColumn("Status").AddColumn("Branch").AddColumn("Commit").AddColumn("Subject");
            foreach (var entry in history)
            {
                table.AddRow(
                    entry.Created.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                    Markup.Escape(entry.Kind),
                    Markup.Escape(entry.Kind == "configuration" ? "configuration " + (entry.ConfigurationChecksum is { Length: > 12 } c ? c[..12] : entry.ConfigurationChecksum ?? "") : entry.Image ?? entry.ArtifactName ?? ""),
                    Markup.Escape(entry.Status),
                    Markup.Escape(entry.Trace?.Branch ?? "-"),
                    Markup.Escape(entry.Trace?.Commit is { Length: > 12 } sha ? sha[..12] : entry.Trace?.Commit ?? "-"),
                    Markup.Escape(entry.Trace?.Subject ?? "(not scheduled by Gitfleet)"));
            }

            console.Out.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }
}
