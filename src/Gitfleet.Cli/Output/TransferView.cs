using Gitfleet.Core.Delivery;
using Spectre.Console;

namespace Gitfleet.Cli.Output;

/// <summary>Prints the bytes a change moves over the air: per wave, per (from, to, device type) and method, and budget warnings.</summary>
internal static class TransferView
{
    public static void Print(CliConsole console, TransferEstimate estimate, IReadOnlyList<string> warnings)
    {
        var output = console.Out;
        if (estimate.Devices == 0)
        {
            return;
        }

        if (!estimate.HasCatalog)
        {
            output.MarkupLine($"Over the air: {estimate.Devices} devices get a new OS image; sizes unknown (these facts carry no catalog of artifact sizes: plan with --server, or see docs/facts.md)");
            output.WriteLine();
            return;
        }

        output.MarkupLine("[bold]Over the air[/] [grey](estimated: deltas where the device applies them and the server has them)[/]");
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("Wave").AddColumn("From").AddColumn("To").AddColumn("Type").AddColumn("How").AddColumn(new TableColumn("Devices").RightAligned())
            .AddColumn(new TableColumn("Each").RightAligned()).AddColumn(new TableColumn("Total").RightAligned());
        foreach (var wave in estimate.Waves)
        {
            foreach (var group in wave.Groups)
            {
                table.AddRow(
                    wave.Wave.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Markup.Escape(group.From ?? "?"),
                    Markup.Escape(group.To),
                    Markup.Escape(group.DeviceType ?? "?"),
                    Markup.Escape(Method(group)),
                    group.Devices.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    group.BytesEach is { } each ? ByteSize.Format(each) : "?",
                    group.BytesEach is null ? "?" : ByteSize.Format(group.Bytes));
            }
        }

        output.Write(table);
        var saving = estimate.FullImageBytes > 0 ? $" ({100.0 * estimate.TotalBytes / estimate.FullImageBytes:0.#}% of {ByteSize.Format(estimate.FullImageBytes)} with full images)" : "";
        output.MarkupLine($"Total: [bold]{ByteSize.Format(estimate.TotalBytes)}[/] to {estimate.Devices} devices{Markup.Escape(saving)}");
        foreach (var warning in warnings)
        {
            output.MarkupLine($"[yellow]warning:[/] {Markup.Escape(warning)}");
        }

        output.WriteLine();
    }

    private static string Method(TransferGroup group) => group.Method switch
    {
        TransferMethod.Delta => "delta",
        TransferMethod.DeltaPending => "delta (not generated yet)",
        TransferMethod.Full => group.Note is null ? "full" : $"full: {group.Note}",
        _ => "unknown: " + group.Note,
    };
}
