using System.Security.Cryptography;
using System.Text;
using Gitfleet.Core.Planning;

namespace Gitfleet.Client.Applying;

/// <summary>
/// Schedules a plan through Mender's management API alone, so `gitfleet apply` also drives a hosted or self-hosted
/// Mender server: per device, abort what a newer desired state supersedes, create the OS deployment for the desired
/// image (one deployment per image, in chunks), store and deploy the rendered configuration. Every request carries
/// an Idempotency-Key derived from branch, commit and target, so a Gitfleet server never schedules a change twice
/// even when two runs race (a Mender server ignores the key). No waves: rollout policies need the Gitfleet server.
/// </summary>
public sealed class MenderApplier(ManagementClient client)
{
    private const int ChunkSize = 2000;
    private const int ParallelConfigurationRequests = 16;

    public async Task<IReadOnlyList<ApplyOutcome>> ApplyAsync(Plan plan, DeploymentTrace trace, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var outcomes = new List<ApplyOutcome>();
        var devices = plan.Devices.Where(d => d.Problems.Count == 0 && d.DeviceId is not null && d.HasChanges).ToList();

        // 1. Stale work: Mender aborts per deployment (which may hold other devices) or everything of one device;
        //    take the latter and schedule again whatever is still wanted.
        var rescheduled = new HashSet<string>(StringComparer.Ordinal);
        foreach (var device in devices.Where(d => d.Os.Supersedes.Count + d.Configuration.Supersedes.Count > 0))
        {
            try
            {
                await client.AbortDeviceDeploymentsAsync(device.DeviceId!, cancellationToken).ConfigureAwait(false);
                outcomes.Add(new ApplyOutcome(device.DeviceId!, "abort", true, $"aborted {device.Os.Supersedes.Count + device.Configuration.Supersedes.Count} superseded deployment(s)"));
                rescheduled.Add(device.DeviceId!);
            }
            catch (ManagementApiException e)
            {
                outcomes.Add(new ApplyOutcome(device.DeviceId!, "abort", false, e.Message));
            }
        }

        bool WantsOs(DevicePlan d) => d.Os.Kind == ActionKind.Update || (rescheduled.Contains(d.DeviceId!) && d.Os.Kind == ActionKind.InFlight);
        bool WantsConfiguration(DevicePlan d) => d.Configuration.Desired is not null
            && (d.Configuration.Kind == ActionKind.Update || (rescheduled.Contains(d.DeviceId!) && d.Configuration.Kind == ActionKind.InFlight));

        // 2. OS updates, one deployment per image (chunked), before configurations: devices take deployments first in, first out.
        foreach (var image in devices.Where(WantsOs).GroupBy(d => d.Os.To!, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var ids = image.Select(d => d.DeviceId!).Order(StringComparer.Ordinal).ToList();
            for (var start = 0; start < ids.Count; start += ChunkSize)
            {
                var chunk = ids.Skip(start).Take(ChunkSize).ToList();
                var deployment = new NewDeployment
                {
                    Name = $"gitfleet {plan.Branch}@{Short(trace.Commit)}: {image.Key}",
                    ArtifactName = image.Key,
                    Devices = chunk,
                    Trace = trace,
                };
                try
                {
                    var id = await client.CreateDeploymentAsync(deployment, Key(plan.Branch, trace.Commit, "os", image.Key, string.Join(',', chunk)), cancellationToken).ConfigureAwait(false);
                    outcomes.AddRange(chunk.Select(d => new ApplyOutcome(d, "os", true, $"OS update to {image.Key} scheduled") { DeploymentId = id }));
                }
                catch (ManagementApiException e)
                {
                    var message = e.StatusCode == 422
                        ? $"artifact '{image.Key}' is not on the server: upload it (mender-cli artifacts upload FILE) and apply again"
                        : e.Message;
                    outcomes.AddRange(chunk.Select(d => new ApplyOutcome(d, "os", false, message)));
                }
            }
        }

        // 3. Configurations: Mender's deviceconfig stores and deploys one device at a time.
        var configured = new System.Collections.Concurrent.ConcurrentBag<ApplyOutcome>();
        await Parallel.ForEachAsync(
            devices.Where(WantsConfiguration),
            new ParallelOptions { MaxDegreeOfParallelism = ParallelConfigurationRequests, CancellationToken = cancellationToken },
            async (device, ct) =>
            {
                var desired = device.Configuration.Desired!;
                try
                {
                    await client.PutConfigurationAsync(device.DeviceId!, desired.Values, ct).ConfigureAwait(false);
                    var id = await client.DeployConfigurationAsync(device.DeviceId!, trace, 0, Key(plan.Branch, trace.Commit, "configuration", desired.Checksum, device.DeviceId!), ct).ConfigureAwait(false);
                    configured.Add(new ApplyOutcome(device.DeviceId!, "configuration", true, $"configuration {desired.Checksum[..12]} deployed") { DeploymentId = id });
                }
                catch (ManagementApiException e)
                {
                    configured.Add(new ApplyOutcome(device.DeviceId!, "configuration", false, e.Message));
                }
            }).ConfigureAwait(false);
        outcomes.AddRange(configured.OrderBy(o => o.Device, StringComparer.Ordinal));
        return outcomes;
    }

    private static string Short(string? commit) => commit is { Length: > 12 } ? commit[..12] : commit ?? "";

    private static string Key(params string?[] parts) =>
        "gitfleet-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', parts))))[..40];
}
