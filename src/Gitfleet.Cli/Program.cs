using Gitfleet.Cli;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // First Ctrl-C asks every command to stop cleanly; a second one kills the process.
    if (!cancellation.IsCancellationRequested)
    {
        e.Cancel = true;
        cancellation.Cancel();
    }
};

return await GitfleetCli.RunAsync(args, CliConsole.FromProcess(), cancellation.Token).ConfigureAwait(false);
