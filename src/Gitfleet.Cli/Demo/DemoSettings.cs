namespace Gitfleet.Cli.Demo;

/// <summary>What `gitfleet demo` runs: where, how many field devices, how fast they poll, and whether it stays up at the end.</summary>
internal sealed record DemoSettings
{
    public required string Directory { get; init; }

    /// <summary>Simulated field devices besides the sample's seven.</summary>
    public int FieldDevices { get; init; } = 300;

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>HTTPS port of the server on 127.0.0.1 (0: any free port).</summary>
    public int Port { get; init; }

    /// <summary>After the walk-through, keep the server and the devices running until Ctrl-C.</summary>
    public bool KeepRunning { get; init; }

    /// <summary>Bound on each stage's rollout; the demo fails with the stage's status past it.</summary>
    public TimeSpan StageTimeout { get; init; } = TimeSpan.FromMinutes(10);

    public long Seed { get; init; } = 1;
}
