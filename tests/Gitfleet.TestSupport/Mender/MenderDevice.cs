using System.Diagnostics;
using System.Globalization;
using Gitfleet.Git;

namespace Gitfleet.TestSupport.Mender;

/// <summary>A running mender-client daemon: force check-ins with signals, read its log, stop it.</summary>
public sealed class MenderDevice
{
    private readonly Process process;

    internal MenderDevice(MenderDeviceOptions options, Process process, string directory, string destination, string logPath, IReadOnlyDictionary<string, string> identity)
    {
        Options = options;
        this.process = process;
        Directory = directory;
        DestinationDirectory = destination;
        LogPath = logPath;
        Identity = identity;
    }

    public MenderDeviceOptions Options { get; }

    public string Name => Options.Name;

    public IReadOnlyDictionary<string, string> Identity { get; }

    public string Directory { get; }

    /// <summary>Where single-file artifacts written for <see cref="MenderClientHarness.SharedDestination"/> land for this device.</summary>
    public string DestinationDirectory { get; }

    public string LogPath { get; }

    public int ProcessId => process.Id;

    public bool IsRunning => !process.HasExited;

    /// <summary>The daemon's log so far (mender writes it line by line).</summary>
    public string Log => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "";

    /// <summary>SIGUSR1: check for an update now.</summary>
    public Task CheckUpdateAsync() => SignalAsync("USR1");

    /// <summary>SIGUSR2: send inventory now.</summary>
    public Task SendInventoryAsync() => SignalAsync("USR2");

    /// <summary>SIGTERM and wait (the client stops in about a second); kills it after 10 s.</summary>
    public async Task StopAsync()
    {
        if (process.HasExited)
        {
            return;
        }

        await SignalAsync("TERM").ConfigureAwait(false);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
        }
    }

    private async Task SignalAsync(string signal)
    {
        if (!process.HasExited)
        {
            await ProcessRunner.RunAsync("/bin/kill", ["-" + signal, process.Id.ToString(CultureInfo.InvariantCulture)]).ConfigureAwait(false);
        }
    }
}
