using System.Runtime.InteropServices;
using Gitfleet.Cli;

// A long-running command (server, simulator, demo) restarts itself with dynamic PGO on before anything else runs;
// one-shot commands keep the runtimeconfig's settings for short processes (RuntimeProfile).
RuntimeProfile.Apply(args);

using var cancellation = new CancellationTokenSource();

// The first Ctrl-C (SIGINT) or SIGTERM asks every command to stop cleanly (the simulator prints its summary, the
// server flushes check-ins); a second one ends the process at once.
void Stop(PosixSignalContext context)
{
    if (!cancellation.IsCancellationRequested)
    {
        context.Cancel = true;
        cancellation.Cancel();
    }
}

using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
return await GitfleetCli.RunAsync(args, CliConsole.FromProcess(), cancellation.Token).ConfigureAwait(false);
