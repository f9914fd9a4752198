using System.Globalization;
using System.Text;
using System.Text.Json;
using Gitfleet.Simulator.Devices;
using Gitfleet.Simulator.Protocol;
using Gitfleet.Simulator.Statistics;

namespace Gitfleet.Simulator.Behaviour;

/// <summary>
/// With a management token: accepts pending auth sets that belong to this simulation (identity of one of its
/// devices and exactly that device's key), for devices the server already knew so preauthorization got 409. Runs
/// only while some device waits for authorization; pages through pending devices 500 at a time.
/// </summary>
internal sealed class PendingAcceptor(SimulationContext context, IReadOnlyList<SimDevice> devices)
{
    private const int PageSize = 500;
    private readonly Dictionary<string, int> definedByIdData = devices
        .Where(d => d.Definition is not null)
        .ToDictionary(d => DeviceIdentity.IdData(d.Definition!.Identity), d => d.Index, StringComparer.Ordinal);

    public async Task RunAsync(string managementToken, CancellationToken cancellationToken)
    {
        var interval = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, context.Options.RetryInterval.Ticks / 2));
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(interval, context.Time, cancellationToken).ConfigureAwait(false);
            if (context.Counters.States()[SimulatedDeviceState.PendingAuthorization] == 0)
            {
                continue;
            }

            try
            {
                await SweepAsync(managementToken, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
            {
                // Not the answer devauth gives: shown, and tried again at the next interval.
                context.LastError = "accepting pending devices: " + e.Message;
            }
        }
    }

    /// <summary>One pass over the server's pending devices; returns how many auth sets it accepted.</summary>
    public async Task<int> SweepAsync(string managementToken, CancellationToken cancellationToken)
    {
        var accepted = 0;
        for (var page = 1; ; page++)
        {
            var response = await context.Api.SendAsync(HttpMethod.Get, string.Create(CultureInfo.InvariantCulture,
                $"{DeviceApiClient.DevAuthPath}?status=pending&page={page}&per_page={PageSize}"), managementToken, null, readBody: true, cancellationToken).ConfigureAwait(false);
            if (!response.Ok || response.Body is null)
            {
                return accepted;
            }

            using var document = JsonDocument.Parse(response.Body);
            var count = 0;
            foreach (var candidate in document.RootElement.EnumerateArray())
            {
                count++;
                accepted += await AcceptIfOursAsync(candidate, managementToken, cancellationToken).ConfigureAwait(false);
            }

            if (count < PageSize)
            {
                return accepted;
            }
        }
    }

    private async Task<int> AcceptIfOursAsync(JsonElement candidate, string managementToken, CancellationToken cancellationToken)
    {
        if (!candidate.TryGetProperty("identity_data", out var identityJson) || identityJson.ValueKind != JsonValueKind.Object
            || Find(identityJson) is not { } device || !candidate.TryGetProperty("auth_sets", out var sets))
        {
            return 0;
        }

        var ours = Normalize(DeviceKeys.PublicKeyPem(DeviceIdentity.IdData(context.Identity(device))));
        var accepted = 0;
        foreach (var set in sets.EnumerateArray())
        {
            if (!set.TryGetProperty("status", out var status) || status.GetString() != "pending"
                || !set.TryGetProperty("pubkey", out var pubkey) || Normalize(pubkey.GetString() ?? "") != ours)
            {
                continue;
            }

            var path = $"{DeviceApiClient.DevAuthPath}/{candidate.GetProperty("id").GetString()}/auth/{set.GetProperty("id").GetString()}/status";
            var result = await context.Api.SendAsync(HttpMethod.Put, path, managementToken, """{"status":"accepted"}"""u8.ToArray(), readBody: false, cancellationToken).ConfigureAwait(false);
            if (result.Ok)
            {
                accepted++;
                context.Counters.Count(SimulatorEvent.AutoAccepted);
                context.Scheduler.Wake(device, context.Now);
            }
        }

        return accepted;
    }

    private SimDevice? Find(JsonElement identityJson)
    {
        var identity = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in identityJson.EnumerateObject())
        {
            identity[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
        }

        var idData = DeviceIdentity.IdData(identity);
        if (definedByIdData.TryGetValue(idData, out var defined))
        {
            return devices[defined];
        }

        var prefix = context.Options.IdentityPrefix + "-";
        if (identity.GetValueOrDefault("serial") is { } serial && serial.StartsWith(prefix, StringComparison.Ordinal)
            && int.TryParse(serial.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            && index < devices.Count && devices[index].Definition is null
            && DeviceIdentity.IdData(DeviceIdentity.Generated(context.Options.IdentityPrefix, index)) == idData)
        {
            return devices[index];
        }

        return null;
    }

    private static string Normalize(string pem)
    {
        var text = new StringBuilder(pem.Length);
        foreach (var c in pem)
        {
            if (!char.IsWhiteSpace(c))
            {
                text.Append(c);
            }
        }

        return text.ToString();
    }
}
