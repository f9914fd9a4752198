using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;
using Gitfleet.Simulator.Devices;
using Gitfleet.Simulator.Faults;
using Gitfleet.Simulator.Protocol;
using Gitfleet.Simulator.Statistics;

namespace Gitfleet.Simulator.Behaviour;

/// <summary>
/// One step of a simulated Mender 3.4 client: start (authenticate, retrying while pending), then poll (inventory
/// and update checks at their intervals), or continue a deployment (see the other part of this class). A step makes
/// one or a few requests and returns when the device wants to run next; it never sleeps.
/// </summary>
internal sealed partial class DeviceBehaviour(SimulationContext context)
{
    private DeviceApiClient Api => context.Api;

    private SimulatorCounters Counters => context.Counters;

    private SimulatorOptions Options => context.Options;

    public async Task<long?> StepAsync(SimDevice device, CancellationToken cancellationToken)
    {
        try
        {
            if (device.Deployment is not null)
            {
                return await DeployAsync(device, cancellationToken).ConfigureAwait(false);
            }

            return device.State == SimulatedDeviceState.Idle
                ? await PollAsync(device, cancellationToken).ConfigureAwait(false)
                : await BootAsync(device, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not OperationCanceledException)
        {
            // A bug or an answer the simulator cannot handle: counted and shown, and the device tries again later.
            Counters.Count(SimulatorEvent.StepErrors);
            context.LastError = $"device {device.Index}: {e.GetType().Name}: {e.Message}";
            return context.Now + Options.RetryInterval.Ticks;
        }
    }

    /// <summary>The daemon starts (first start, or back from offline): authenticate, then inventory and an update check at once.</summary>
    private async Task<long?> BootAsync(SimDevice device, CancellationToken cancellationToken)
    {
        if (device.State is SimulatedDeviceState.Offline || device.BootTicks == 0)
        {
            context.Move(device, SimulatedDeviceState.Starting);
            device.BootTicks = context.Now;
        }

        if (await AuthorizeAsync(device, cancellationToken).ConfigureAwait(false) is { } failed)
        {
            return Retry(device, failed);
        }

        context.Move(device, SimulatedDeviceState.Idle);
        device.NextInventoryTicks = device.NextPollTicks = context.Now;
        return await PollAsync(device, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Idle: goes offline when the fault says so, sends inventory when due, checks for an update when due.</summary>
    private async Task<long?> PollAsync(SimDevice device, CancellationToken cancellationToken)
    {
        var now = context.Now;
        if (now >= device.NextPollTicks && FaultDecisions.Offline(context.Faults, context.Seed, device.Index, device.Polls) is { } offline)
        {
            device.Polls++;
            Counters.Count(SimulatorEvent.InjectedOfflinePeriods);
            context.Move(device, SimulatedDeviceState.Offline);
            device.Token = null;
            return now + offline.Ticks;
        }

        if (now >= device.NextInventoryTicks)
        {
            if (await ReportInventoryAsync(device, cancellationToken).ConfigureAwait(false) is { } failed)
            {
                return Retry(device, failed);
            }

            device.NextInventoryTicks = now + DeviceRandom.Jitter(Options.InventoryInterval, Options.Jitter, context.Seed, device.Index, Decision.InventoryJitter, device.Polls).Ticks;
        }

        if (now >= device.NextPollTicks)
        {
            var response = await CheckInAsync(device, cancellationToken).ConfigureAwait(false);
            if (Retriable(response))
            {
                return Retry(device, response);
            }

            var poll = device.Polls++;
            device.NextPollTicks = now + DeviceRandom.Jitter(Options.PollInterval, Options.Jitter, context.Seed, device.Index, Decision.PollJitter, poll).Ticks;
            if (response.Status == 200)
            {
                if (Offer.Parse(response.Body) is { } offer)
                {
                    return await StartDeploymentAsync(device, offer, cancellationToken).ConfigureAwait(false);
                }

                Counters.Count(SimulatorEvent.UnexpectedResponses);
            }
            else if (response.Status != 204)
            {
                Counters.Count(SimulatorEvent.UnexpectedResponses);
            }
        }

        return Math.Min(device.NextPollTicks, device.NextInventoryTicks);
    }

    /// <summary>next, v2 first; on 404 the client falls back to v1 POST and then v1 GET (remembered for all devices).</summary>
    private async Task<ApiResponse> CheckInAsync(SimDevice device, CancellationToken cancellationToken)
    {
        Counters.Count(SimulatorEvent.CheckIns);
        while (true)
        {
            var protocol = context.NextProtocol;
            var installed = device.Installed;
            var response = await CallAsync(device, token => protocol switch
            {
                0 => Api.CheckInAsync(token, installed.NextBody, cancellationToken),
                1 => Api.SendAsync(HttpMethod.Post, DeviceApiClient.NextPathV1, token, installed.NextBodyV1, readBody: true, cancellationToken),
                _ => Api.SendAsync(HttpMethod.Get, DeviceApiClient.NextPathV1 + "?artifact_name=" + Uri.EscapeDataString(installed.ArtifactName)
                    + "&device_type=" + Uri.EscapeDataString(installed.DeviceType), token, null, readBody: true, cancellationToken),
            }, cancellationToken).ConfigureAwait(false);
            if (response.Status != 404 || protocol == 2)
            {
                return response;
            }

            context.FallBack(protocol);
        }
    }

    /// <summary>Gets a token when the device has none: preauthorizes first when a management token is given.</summary>
    private async Task<ApiResponse?> AuthorizeAsync(SimDevice device, CancellationToken cancellationToken)
    {
        if (device.Token is not null)
        {
            return null;
        }

        var identity = context.Identity(device);
        var idData = DeviceIdentity.IdData(identity);
        if (Options.ManagementToken is { } managementToken && !device.Preauthorized)
        {
            var preauthorized = await Api.PreauthorizeAsync(managementToken, identity, DeviceKeys.PublicKeyPem(idData), cancellationToken).ConfigureAwait(false);
            if (Retriable(preauthorized))
            {
                return preauthorized;
            }

            // 201, or 409 (known already: the auth request decides); anything else is counted and not retried.
            if (preauthorized.Status != 409)
            {
                Counters.Count(preauthorized.Status == 201 ? SimulatorEvent.Preauthorized : SimulatorEvent.UnexpectedResponses);
            }

            device.Preauthorized = true;
        }

        Counters.Count(SimulatorEvent.AuthRequests);
        var response = await WithNetworkFaultsAsync(device, () => Api.AuthenticateAsync(idData, cancellationToken)).ConfigureAwait(false);
        if (response.Status == 200 && response.Body is { Length: > 0 } token)
        {
            device.Token = token;
            device.DeviceId = Subject(token);
            Counters.Count(SimulatorEvent.Authorized);
            return null;
        }

        if (response.Status == 401)
        {
            Counters.Count(SimulatorEvent.AuthPending);
            if (device.Deployment is null)
            {
                context.Move(device, SimulatedDeviceState.PendingAuthorization);
            }
        }
        else if (!Retriable(response))
        {
            Counters.Count(SimulatorEvent.UnexpectedResponses);
        }

        return response.Status == 200 ? ApiResponse.Failed("an empty token") : response;
    }

    /// <summary>A device call with its token; a 401 triggers one re-authentication and one retry, as in the client.</summary>
    private async Task<ApiResponse> CallAsync(SimDevice device, Func<string, Task<ApiResponse>> send, CancellationToken cancellationToken)
    {
        if (await AuthorizeAsync(device, cancellationToken).ConfigureAwait(false) is { } failed)
        {
            return failed;
        }

        var response = await WithNetworkFaultsAsync(device, () => send(device.Token!)).ConfigureAwait(false);
        if (response.Status != 401)
        {
            return response;
        }

        Counters.Count(SimulatorEvent.ReAuthentications);
        device.Token = null;
        return await AuthorizeAsync(device, cancellationToken).ConfigureAwait(false) is { } refused
            ? refused
            : await WithNetworkFaultsAsync(device, () => send(device.Token!)).ConfigureAwait(false);
    }

    /// <summary>Applies the device's next network draw: drop, lose the answer, or hold the request back.</summary>
    private async Task<ApiResponse> WithNetworkFaultsAsync(SimDevice device, Func<Task<ApiResponse>> send)
    {
        var fault = NextNetworkFault(device);
        switch (fault.Kind)
        {
            case NetworkFaultKind.Slow:
                Counters.Count(SimulatorEvent.InjectedSlowRequests);
                device.NetworkFaultSpent = true;
                return ApiResponse.DeferredBy(fault.Delay);
            case NetworkFaultKind.Drop:
                Counters.Count(SimulatorEvent.InjectedDrops);
                return ApiResponse.Failed("connection dropped (simulated)");
            case NetworkFaultKind.LostResponse:
                Counters.Count(SimulatorEvent.InjectedLostResponses);
                await send().ConfigureAwait(false);
                return ApiResponse.Failed("the answer was lost (simulated)");
            default:
                return await send().ConfigureAwait(false);
        }
    }

    private NetworkFault NextNetworkFault(SimDevice device)
    {
        var fault = device.NetworkFaultSpent ? default : FaultDecisions.Network(context.Faults, context.Seed, device.Index, device.Requests);
        device.Requests++;
        device.NetworkFaultSpent = false;
        return fault;
    }

    /// <summary>Sends the reported configuration when it changed since the last report, then the inventory (PATCH after a 405).</summary>
    private async Task<ApiResponse?> ReportInventoryAsync(SimDevice device, CancellationToken cancellationToken)
    {
        var installed = device.Installed;
        if (installed.Configuration is { } configuration && !ReferenceEquals(device.ReportedConfiguration, configuration))
        {
            var body = InventoryReport.Configuration(configuration);
            var reported = await CallAsync(device, token => Api.SendAsync(HttpMethod.Put, DeviceApiClient.ConfigurationPath, token, body, readBody: false, cancellationToken), cancellationToken).ConfigureAwait(false);
            if (Retriable(reported))
            {
                return reported;
            }

            Counters.Count(reported.Ok ? SimulatorEvent.ConfigurationReports : SimulatorEvent.UnexpectedResponses);
            device.ReportedConfiguration = configuration;
        }

        var inventory = InventoryReport.Build(installed, context.Identity(device), TimeSpan.FromTicks(context.Now - device.BootTicks), context.Options.InventoryAttributes,
            device.Definition is null && context.Options.AppliesDeltas(device.Index));
        var response = await CallAsync(device, token => Api.SendAsync(HttpMethod.Put, DeviceApiClient.InventoryPath, token, inventory, readBody: false, cancellationToken), cancellationToken).ConfigureAwait(false);
        if (response.Status == 405)
        {
            response = await CallAsync(device, token => Api.SendAsync(HttpMethod.Patch, DeviceApiClient.InventoryPath, token, inventory, readBody: false, cancellationToken), cancellationToken).ConfigureAwait(false);
        }

        if (Retriable(response))
        {
            return response;
        }

        Counters.Count(response.Ok ? SimulatorEvent.InventoryReports : SimulatorEvent.UnexpectedResponses);
        return null;
    }

    /// <summary>Worth retrying later: no answer, held back, a server error, or a 401 the re-authentication could not cure.</summary>
    private static bool Retriable(ApiResponse response) => response.Status is 0 or -1 or 401 or 429 or >= 500;

    private long Retry(SimDevice device, ApiResponse response) => context.Now + (response.Deferred
        ? response.Delay
        : DeviceRandom.Jitter(Options.RetryInterval, 0.2, context.Seed, device.Index, Decision.RetryJitter, device.Requests)).Ticks;

    /// <summary>The device id: the token's sub claim (the device only needs it for display).</summary>
    private static Guid Subject(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return Guid.Empty;
        }

        try
        {
            using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
            return payload.RootElement.TryGetProperty("sub", out var sub) && Guid.TryParse(sub.GetString(), CultureInfo.InvariantCulture, out var id) ? id : Guid.Empty;
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            return Guid.Empty;
        }
    }
}
