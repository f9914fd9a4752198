using System.Globalization;
using Gitfleet.Core.Delivery;
using Spectre.Console;

namespace Gitfleet.Cli.Output;

/// <summary>
/// Prints the bytes a change moves over the air: per wave, per (from, to, device type) and method, and budget warnings.
/// For a running rollout (<c>status</c>) also what its devices downloaded already and still will.
/// </summary>
internal static class TransferView
{
    public static void Print(CliConsole console, TransferEstimate estimate, IReadOnlyList<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(estimate);
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

        var progress = estimate.MovedBytes is not null;
        output.MarkupLine(progress
            ? "[bold]Over the air, this rollout[/] [grey](estimated from the server's catalog; moved: devices past downloading)[/]"
            : "[bold]Over the air[/] [grey](estimated: deltas where the device applies them and the server has them)[/]");
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("Wave").AddColumn("From").AddColumn("To").AddColumn("Type").AddColumn("How").AddColumn(new TableColumn("Devices").RightAligned())
            .AddColumn(new TableColumn("Each").RightAligned()).AddColumn(new TableColumn("Total").RightAligned());
        if (progress)
        {
            table.AddColumn(new TableColumn("Moved").RightAligned()).AddColumn(new TableColumn("To move").RightAligned());
        }

        foreach (var wave in estimate.Waves)
        {
            foreach (var group in wave.Groups)
            {
                var cells = new List<string>
                {
                    wave.Wave.ToString(CultureInfo.InvariantCulture),
                    Markup.Escape(group.From ?? "?"),
                    Markup.Escape(group.To),
                    Markup.Escape(group.DeviceType ?? "?"),
                    Markup.Escape(Method(group)),
                    group.Devices.ToString(CultureInfo.InvariantCulture),
                    group.BytesEach is { } each ? ByteSize.Format(each) : "?",
                    Bytes(group, group.Bytes),
                };
                if (progress)
                {
                    cells.Add($"{Bytes(group, group.MovedBytes ?? 0)} ({group.Moved ?? 0})");
                    cells.Add($"{Bytes(group, group.ToMoveBytes ?? 0)} ({group.ToMove ?? 0})");
                }

                table.AddRow(cells.ToArray());
            }
        }

        output.Write(table);
        var saving = estimate.FullImageBytes > 0 ? $" ({100.0 * estimate.TotalBytes / estimate.FullImageBytes:0.#}% of {ByteSize.Format(estimate.FullImageBytes)} with full images)" : "";
        output.MarkupLine($"Total: [bold]{ByteSize.Format(estimate.TotalBytes)}[/] to {estimate.Devices} devices{Markup.Escape(saving)}");
        if (estimate is { MovedBytes: { } moved, ToMoveBytes: { } toMove })
        {
            output.MarkupLine($"Moved: {ByteSize.Format(moved)}; to move: {ByteSize.Format(toMove)}");
        }

        foreach (var warning in warnings)
        {
            output.MarkupLine($"[yellow]warning:[/] {Markup.Escape(warning)}");
        }

        output.WriteLine();
    }

    private static string Bytes(TransferGroup group, long bytes) => group.BytesEach is null ? "?" : ByteSize.Format(bytes);

    private static string Method(TransferGroup group) => group.Method switch
    {
        TransferMethod.Delta => "delta",
        TransferMethod.DeltaPending => "delta (not generated yet)",
        TransferMethod.Full => group.Note is null ? "full" : $"full: {group.Note}",
        _ => "unknown: " + group.Note,
    };
}
