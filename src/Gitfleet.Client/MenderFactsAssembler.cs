using System.Globalization;
using System.Text.Json;
using Gitfleet.Core.Facts;

namespace Gitfleet.Client;

/// <summary>
/// Facts from a plain Mender server: devauth v2 (status, identity), inventory v1 (attributes, tags), deviceconfig
/// (one call per accepted device: Mender has no bulk endpoint) and unfinished deployments' device lists.
/// </summary>
internal sealed class MenderFactsAssembler(ManagementClient client, int pageSize)
{
    private static readonly HashSet<string> Finished = new(StringComparer.Ordinal)
    {
        "success", "failure", "already-installed", "noartifact", "aborted", "decommissioned",
    };

    public async Task<FactsDocument> AssembleAsync(CancellationToken cancellationToken)
    {
        var devices = await PagesAsync<DevAuthDevice>("api/management/v2/devauth/devices", cancellationToken).ConfigureAwait(false);
        var inventory = (await PagesAsync<InventoryDevice>("api/management/v1/inventory/devices", cancellationToken).ConfigureAwait(false))
            .ToDictionary(d => d.Id, StringComparer.Ordinal);
        var inFlight = await InFlightAsync(cancellationToken).ConfigureAwait(false);
        var facts = new List<DeviceFacts>();
        foreach (var device in devices)
        {
            var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
            var tags = new Dictionary<string, string>(StringComparer.Ordinal);
            DateTimeOffset? lastCheckIn = null;
            if (inventory.TryGetValue(device.Id, out var entry))
            {
                foreach (var attribute in entry.Attributes ?? [])
                {
                    var text = Text(attribute.Value);
                    switch (attribute.Scope)
                    {
                        case "inventory":
                            attributes[attribute.Name] = text;
                            break;
                        case "tags":
                            tags[attribute.Name] = text;
                            break;
                        case "system" when attribute.Name == "check_in_time" && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, out var time):
                            lastCheckIn = time;
                            break;
                    }
                }
            }

            ConfigurationShape? configuration = null;
            if (device.Status == DeviceStatus.Accepted)
            {
                configuration = await client.FindAsync<ConfigurationShape>(
                    $"api/management/v1/deviceconfig/configurations/device/{Uri.EscapeDataString(device.Id)}", cancellationToken).ConfigureAwait(false);
            }

            facts.Add(new DeviceFacts
            {
                Id = device.Id,
                Status = device.Status,
                DeviceType = attributes.GetValueOrDefault("device_type"),
                ArtifactName = attributes.GetValueOrDefault("artifact_name"),
                Identity = device.IdentityData?.ToDictionary(p => p.Key, p => Text(p.Value), StringComparer.Ordinal) ?? DeviceFacts.EmptyMap,
                Tags = tags,
                Attributes = attributes,
                ReportedConfiguration = configuration?.Reported is { Count: > 0 } reported ? reported : null,
                ConfiguredConfiguration = configuration?.Configured is { Count: > 0 } configured ? configured : null,
                LastCheckIn = lastCheckIn,
                InFlight = inFlight.TryGetValue(device.Id, out var list) ? list : [],
            });
        }

        return new FactsDocument { Devices = facts };
    }

    private async Task<Dictionary<string, List<InFlightDeployment>>> InFlightAsync(CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, List<InFlightDeployment>>(StringComparer.Ordinal);
        foreach (var status in new[] { "pending", "inprogress" })
        {
            foreach (var deployment in await PagesAsync<DeploymentSummary>($"api/management/v1/deployments/deployments?status={status}", cancellationToken).ConfigureAwait(false))
            {
                var devices = await client.ListDeploymentDevicesAsync(deployment.Id, cancellationToken).ConfigureAwait(false);
                foreach (var device in devices.Where(d => !Finished.Contains(d.Status)))
                {
                    var configuration = deployment.Type == "configuration" || deployment.Kind == "configuration";
                    if (!result.TryGetValue(device.Id, out var list))
                    {
                        result[device.Id] = list = [];
                    }

                    list.Add(new InFlightDeployment
                    {
                        DeploymentId = deployment.Id,
                        Kind = configuration ? DeploymentKind.Configuration : DeploymentKind.Os,
                        ArtifactName = configuration ? null : deployment.ArtifactName,
                        Status = device.Status,
                        CreatedAt = deployment.Created,
                        Commit = deployment.Trace?.Commit,
                    });
                }
            }
        }

        return result;
    }

    private async Task<List<T>> PagesAsync<T>(string path, CancellationToken cancellationToken)
    {
        var all = new List<T>();
        var separator = path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        for (var page = 1; ; page++)
        {
            var batch = await client.GetAsync<List<T>>(string.Create(CultureInfo.InvariantCulture, $"{path}{separator}page={page}&per_page={pageSize}"), cancellationToken).ConfigureAwait(false);
            all.AddRange(batch);
            if (batch.Count < pageSize)
            {
                return all;
            }
        }
    }

    private static string Text(JsonElement value) => Gitfleet.Core.Facts.AttributeText.Flatten(value);

    private sealed record DevAuthDevice(string Id, string Status, Dictionary<string, JsonElement>? IdentityData);

    private sealed record InventoryDevice(string Id, List<InventoryAttribute>? Attributes);

    private sealed record InventoryAttribute(string Name, JsonElement Value, string? Scope);

    private sealed record ConfigurationShape(Dictionary<string, string>? Configured, Dictionary<string, string>? Reported);
}
