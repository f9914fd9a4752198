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

    /// <summary>
    /// Servers already running (replicas behind HAProxy: ./demo.sh --replicas N) that watch DIR/fleet, written
    /// before by <see cref="FleetOnly"/>; null: the demo starts a server of its own on SQLite.
    /// </summary>
    public Uri? Server { get; init; }

    /// <summary>The certificate (PEM) of <see cref="Server"/>.</summary>
    public string? CaCertificate { get; init; }

    /// <summary>A management token of <see cref="Server"/> (the admin token the replicas were given).</summary>
    public string? Token { get; init; }

    /// <summary>The admin password <see cref="Server"/> was given, shown at the end (null: not known to the demo).</summary>
    public string? AdminPassword { get; init; }

    /// <summary>Only write the fleet repository to DIR/fleet (recreating DIR) and stop: the servers to start next watch it.</summary>
    public bool FleetOnly { get; init; }
}
