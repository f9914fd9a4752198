using System.Globalization;
using Gitfleet.Artifacts;
using Gitfleet.Simulator.Devices;
using Gitfleet.Simulator.Faults;
using Gitfleet.Simulator.Protocol;
using Gitfleet.Simulator.Statistics;

namespace Gitfleet.Simulator.Behaviour;

/// <summary>
/// The deployment part of a simulated client: downloading, installing, rebooting, then success or failure (with the
/// module's output in the log), an immediate inventory, and 409 (aborted) handled at every report.
/// </summary>
internal sealed partial class DeviceBehaviour
{
    private static readonly Dictionary<string, byte[]> StatusBodies = new[]
    {
        "downloading", "installing", "rebooting", "success", "failure", "already-installed",
    }.ToDictionary(s => s, s => InstalledState.Json(w =>
    {
        w.WriteStartObject();
        w.WriteString("status", s);
        w.WriteEndObject();
    }), StringComparer.Ordinal);

    private enum Ending
    {
        Succeeded,
        Failed,
        AlreadyInstalled,
        Aborted,
        Abandoned,
    }

    private async Task<long?> StartDeploymentAsync(SimDevice device, Offer offer, CancellationToken cancellationToken)
    {
        Counters.Count(SimulatorEvent.Offers);
        Counters.Count(SimulatorEvent.DeploymentsStarted);
        device.Deployment = new DeploymentRun(offer, context.Now)
        {
            // The client compares the offered artifact name with its own before downloading anything.
            Step = offer.ArtifactName == device.Installed.ArtifactName ? DeploymentStep.ReportAlreadyInstalled : DeploymentStep.ReportDownloading,
        };
        return await DeployAsync(device, cancellationToken).ConfigureAwait(false);
    }

    private async Task<long?> DeployAsync(SimDevice device, CancellationToken cancellationToken)
    {
        var run = device.Deployment!;
        while (true)
        {
            long? wait;
            switch (run.Step)
            {
                case DeploymentStep.ReportAlreadyInstalled:
                    return await ReportAsync(device, run, "already-installed", cancellationToken).ConfigureAwait(false) ?? End(device, run, Ending.AlreadyInstalled);
                case DeploymentStep.ReportDownloading:
                    if ((wait = await ReportAsync(device, run, "downloading", cancellationToken).ConfigureAwait(false)) is not null)
                    {
                        return wait;
                    }

                    context.Move(device, SimulatedDeviceState.Downloading);
                    run.Step = DeploymentStep.Download;
                    break;
                case DeploymentStep.Download:
                    if ((wait = await DownloadAsync(device, run, cancellationToken).ConfigureAwait(false)) is not null)
                    {
                        return wait;
                    }

                    break;
                case DeploymentStep.ReportInstalling:
                    if ((wait = await ReportAsync(device, run, "installing", cancellationToken).ConfigureAwait(false)) is not null)
                    {
                        return wait;
                    }

                    context.Move(device, SimulatedDeviceState.Installing);
                    run.Step = DeploymentStep.Install;
                    return context.Now + DeviceRandom.Jitter(run.Artifact!.IsConfiguration ? Options.ConfigurationApplyTime : Options.InstallTime,
                        0.2, context.Seed, device.Index, Decision.InstallDuration, device.Installs).Ticks;
                case DeploymentStep.Install:
                    Install(device, run);
                    break;
                case DeploymentStep.ReportRebooting:
                    if ((wait = await ReportAsync(device, run, "rebooting", cancellationToken).ConfigureAwait(false)) is not null)
                    {
                        return wait;
                    }

                    // The machine reboots: the daemon starts again and authenticates anew (the token is not persisted).
                    context.Move(device, SimulatedDeviceState.Rebooting);
                    device.Token = null;
                    device.BootTicks = context.Now;
                    run.Step = DeploymentStep.Verify;
                    return context.Now + DeviceRandom.Jitter(Options.RebootTime, 0.2, context.Seed, device.Index, Decision.RebootDuration, device.Installs).Ticks;
                case DeploymentStep.Verify:
                    if (run.HealthCheckFailure is { } problem)
                    {
                        Counters.Count(SimulatorEvent.InjectedInstallFailures);
                        var module = run.Artifact!.PayloadType;
                        run.Fail($"{module}: error: {problem}", $"{module}: rolled back to the previous image '{device.Installed.RunningImage}'");
                    }
                    else
                    {
                        Commit(device, run);
                    }

                    run.Step = DeploymentStep.ReportResult;
                    break;
                case DeploymentStep.ReportResult:
                    if ((wait = await ReportAsync(device, run, run.Failed ? "failure" : "success", cancellationToken).ConfigureAwait(false)) is not null)
                    {
                        return wait;
                    }

                    run.Step = run.Failed ? DeploymentStep.SendLog : DeploymentStep.ReportInventory;
                    break;
                case DeploymentStep.SendLog:
                    var logged = await CallAsync(device, token => Api.SendAsync(HttpMethod.Put, DeviceApiClient.DeploymentsPath + run.Offer.DeploymentId + "/log",
                        token, LogBody(run.Log, context.Time.GetUtcNow()), readBody: false, cancellationToken), cancellationToken).ConfigureAwait(false);
                    if (Retriable(logged) && ++run.LogAttempts < 3)
                    {
                        return Retry(device, logged);
                    }

                    if (!logged.Ok)
                    {
                        Counters.Count(SimulatorEvent.UnexpectedResponses);
                    }

                    run.Step = DeploymentStep.ReportInventory;
                    break;
                case DeploymentStep.ReportInventory:
                    if (await ReportInventoryAsync(device, cancellationToken).ConfigureAwait(false) is { } failed)
                    {
                        return Retry(device, failed);
                    }

                    device.NextInventoryTicks = context.Now + Options.InventoryInterval.Ticks;
                    return End(device, run, run.Failed ? Ending.Failed : Ending.Succeeded);
                default:
                    throw new InvalidOperationException($"unknown deployment step {run.Step}");
            }
        }
    }

    /// <summary>PUT status: null to go on; else when to run next (a retry, or the next poll after a 409 ended it).</summary>
    private async Task<long?> ReportAsync(SimDevice device, DeploymentRun run, string status, CancellationToken cancellationToken)
    {
        var response = await CallAsync(device, token => Api.SendAsync(HttpMethod.Put, DeviceApiClient.DeploymentsPath + run.Offer.DeploymentId + "/status",
            token, StatusBodies[status], readBody: false, cancellationToken), cancellationToken).ConfigureAwait(false);
        if (response.Ok)
        {
            return null;
        }

        if (response.Status == 409)
        {
            // Aborted on the server: an uncommitted install is rolled back (the installed state never changed).
            return End(device, run, Ending.Aborted);
        }

        if (Retriable(response))
        {
            return Retry(device, response);
        }

        Counters.Count(SimulatorEvent.UnexpectedResponses);
        return End(device, run, Ending.Abandoned);
    }

    /// <summary>Downloads (or resumes) the artifact; null when the step moved on, else when to try again.</summary>
    private async Task<long?> DownloadAsync(SimDevice device, DeploymentRun run, CancellationToken cancellationToken)
    {
        if (run.Artifact is null)
        {
            try
            {
                run.Artifact = await context.Catalog.GetAsync(run.Offer.ArtifactKey, run.Offer.Uri, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e) when (e.StatusCode is not null && (int)e.StatusCode < 500)
            {
                return FailDownload(run, $"downloading the artifact failed: HTTP {(int)e.StatusCode}");
            }
            catch (ArtifactFormatException e)
            {
                return FailDownload(run, "the artifact is not valid: " + e.Message);
            }
            catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                Counters.Count(SimulatorEvent.NetworkErrors);
                return context.Now + Options.RetryInterval.Ticks;
            }
        }

        var artifact = run.Artifact;
        if (!artifact.DeviceTypes.Contains(device.Installed.DeviceType, StringComparer.Ordinal))
        {
            return FailDownload(run, $"Artifact not compatible with this device: it is for device types [{string.Join(", ", artifact.DeviceTypes)}], this device is a '{device.Installed.DeviceType}'");
        }

        var request = device.Requests;
        var fault = NextNetworkFault(device);
        if (fault.Kind == NetworkFaultKind.Slow)
        {
            Counters.Count(SimulatorEvent.InjectedSlowRequests);
            device.NetworkFaultSpent = true;
            return context.Now + fault.Delay.Ticks;
        }

        var cut = fault.Kind == NetworkFaultKind.None ? FaultDecisions.DownloadDrop(context.Faults, context.Seed, device.Index, request) : fault.CutFraction;
        var remaining = artifact.Size - run.Offset;
        long? stopAfter = cut is { } fraction && remaining > 1 ? Math.Max(1, (long)(remaining * fraction)) : null;
        if (run.Offset > 0)
        {
            Counters.Count(SimulatorEvent.DownloadsResumed);
        }

        var result = await Api.DownloadAsync(run.Offer.Uri, run.Offset, stopAfter, run.Hash, cancellationToken).ConfigureAwait(false);
        if (result.Restarted)
        {
            Counters.Count(SimulatorEvent.DownloadRangeIgnored);
            run.Offset = 0;
        }

        run.Offset += result.BytesRead;
        if (result.Status is >= 400 and < 500)
        {
            return FailDownload(run, $"downloading the artifact failed: HTTP {result.Status}");
        }

        if (!result.Complete)
        {
            if (stopAfter is not null && result.Status != 0)
            {
                Counters.Count(SimulatorEvent.InjectedDrops);
            }

            return context.Now + DeviceRandom.Jitter(Options.RetryInterval, 0.2, context.Seed, device.Index, Decision.RetryJitter, device.Requests).Ticks;
        }

        var digest = run.Hash.GetHashAndReset();
        if (run.Offset != artifact.Size || !digest.AsSpan().SequenceEqual(artifact.Sha256))
        {
            Counters.Count(SimulatorEvent.ChecksumMismatches);
            return FailDownload(run, string.Create(CultureInfo.InvariantCulture,
                $"the downloaded artifact is corrupt: {run.Offset} bytes with SHA-256 {Convert.ToHexStringLower(digest)}, expected {artifact.Size} bytes with {Convert.ToHexStringLower(artifact.Sha256)}"));
        }

        Counters.Count(SimulatorEvent.DownloadsCompleted);
        run.Step = DeploymentStep.ReportInstalling;
        return null;
    }

    private static long? FailDownload(DeploymentRun run, string message)
    {
        run.Fail(message);
        run.Step = DeploymentStep.ReportResult;
        return null;
    }

    /// <summary>The update module's install: the configuration interlock, injected failures, then a reboot or a commit.</summary>
    private void Install(SimDevice device, DeploymentRun run)
    {
        var artifact = run.Artifact!;
        var install = device.Installs++;
        run.Step = DeploymentStep.ReportResult;
        if (artifact.IsConfiguration && artifact.Configuration?.GetValueOrDefault("expected_os_image") is { Length: > 0 } expected
            && expected != device.Installed.RunningImage)
        {
            Counters.Count(SimulatorEvent.InterlockRefusals);
            run.Fail($"mender-configure: error: refusing the configuration: it was written for OS image '{expected}' but this device runs "
                + $"'{device.Installed.RunningImage}' (expected_os_image interlock); the current configuration stays in place");
            return;
        }

        var subject = new RuleSubject(device.Index, device.Installed.DeviceType, () => context.Identity(device), device.Installed.Configuration);
        var fault = FaultDecisions.Install(context.Faults, context.Seed, artifact.Name, artifact.Reboots, install, subject);
        if (fault.Phase == FailurePhase.Install)
        {
            Counters.Count(SimulatorEvent.InjectedInstallFailures);
            run.Fail($"{artifact.PayloadType}: error: {fault.Message}");
            return;
        }

        if (artifact.Reboots)
        {
            run.HealthCheckFailure = fault.Phase == FailurePhase.HealthCheck ? fault.Message : null;
            run.Step = DeploymentStep.ReportRebooting;
            return;
        }

        Commit(device, run);
    }

    private static void Commit(SimDevice device, DeploymentRun run) => run.Committed = device.Installed = device.Installed.Commit(run.Artifact!);

    private long End(SimDevice device, DeploymentRun run, Ending ending)
    {
        Counters.Count(ending switch
        {
            Ending.Succeeded => SimulatorEvent.DeploymentsSucceeded,
            Ending.Failed => SimulatorEvent.DeploymentsFailed,
            Ending.AlreadyInstalled => SimulatorEvent.DeploymentsAlreadyInstalled,
            Ending.Aborted => SimulatorEvent.DeploymentsAborted,
            _ => SimulatorEvent.DeploymentsFailed,
        });
        device.Deployment = null;
        run.Dispose();
        context.Move(device, SimulatedDeviceState.Idle);
        device.NextPollTicks = Math.Max(device.NextPollTicks, context.Now);
        return Math.Min(device.NextPollTicks, device.NextInventoryTicks);
    }

    private static byte[] LogBody(List<string> lines, DateTimeOffset now) => InstalledState.Json(writer =>
    {
        writer.WriteStartObject();
        writer.WriteStartArray("messages");
        foreach (var line in lines)
        {
            writer.WriteStartObject();
            writer.WriteString("level", "error");
            writer.WriteString("message", line);
            writer.WriteString("timestamp", now.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    });
}
