using System.Security.Cryptography;
using Gitfleet.Simulator.Artifacts;
using Gitfleet.Simulator.Devices;

namespace Gitfleet.Simulator.Behaviour;

/// <summary>Where a device is in a deployment. Each step is safe to repeat, so a failed request retries the same step.</summary>
internal enum DeploymentStep
{
    ReportAlreadyInstalled,
    ReportDownloading,
    Download,
    ReportInstalling,
    Install,
    ReportRebooting,
    Verify,
    ReportResult,
    SendLog,
    ReportInventory,
}

/// <summary>A deployment in progress on one device; exists only while it runs.</summary>
internal sealed class DeploymentRun(Offer offer, long startedTicks) : IDisposable
{
    public Offer Offer { get; } = offer;

    public long StartedTicks { get; } = startedTicks;

    public DeploymentStep Step { get; set; } = DeploymentStep.ReportDownloading;

    public ArtifactFacts? Artifact { get; set; }

    /// <summary>Bytes downloaded so far (the next Range start) and their running hash.</summary>
    public long Offset { get; set; }

    public IncrementalHash Hash { get; } = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>A health-check failure decided at install, shown after the reboot.</summary>
    public string? HealthCheckFailure { get; set; }

    public bool Failed => Log.Count > 0;

    /// <summary>The module's output on failure: what the client sends to the deployment log.</summary>
    public List<string> Log { get; } = [];

    public InstalledState? Committed { get; set; }

    public int LogAttempts { get; set; }

    public void Fail(params string[] lines) => Log.AddRange(lines);

    public void Dispose() => Hash.Dispose();
}
