using System.Text;
using System.Text.Json;
using Gitfleet.Core.Facts;
using Gitfleet.Server.Api.Throttling;
using Gitfleet.Server.Devices;
using Gitfleet.Server.Hosting;
using Gitfleet.Server.Security;
using Gitfleet.Storage;
using Gitfleet.Storage.Sql;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Gitfleet.Server.Api.Device;

/// <summary>devauth, device side: the signed auth request that yields a device token once the device is accepted.</summary>
internal static class DeviceAuthEndpoints
{
    public static void MapDeviceAuthApi(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/devices/v1/authentication/auth_requests", AuthRequestAsync);

    private static async Task<IResult> AuthRequestAsync(
        HttpContext context, IFleetStore store, TokenService tokens, DeviceRegistry registry, AuthRequestThrottle throttle, TimeProvider time, CancellationToken cancellationToken)
    {
        var raw = await JsonBody.ReadBytesAsync(context, cancellationToken).ConfigureAwait(false);
        var signatureHeader = context.Request.Headers["X-MEN-Signature"].ToString();
        if (signatureHeader.Length == 0)
        {
            throw ApiException.BadRequest("missing X-MEN-Signature header");
        }

        var request = JsonBody.Parse<AuthRequestBody>(raw);
        if (string.IsNullOrWhiteSpace(request.IdData))
        {
            throw ApiException.BadRequest("id_data is required");
        }

        if (string.IsNullOrWhiteSpace(request.Pubkey))
        {
            throw ApiException.BadRequest("pubkey is required");
        }

        var identity = ParseIdentity(request.IdData);
        string publicKey;
        try
        {
            publicKey = DevicePublicKey.Normalize(request.Pubkey);
        }
        catch (FormatException e)
        {
            throw ApiException.BadRequest(e.Message);
        }

        byte[] signature;
        try
        {
            signature = Convert.FromBase64String(signatureHeader);
        }
        catch (FormatException)
        {
            throw ApiException.BadRequest("X-MEN-Signature is not base64");
        }

        if (!DevicePublicKey.Verify(publicKey, raw.Span, signature))
        {
            throw ApiException.Unauthorized("signature verification failed");
        }

        var identityKey = JsonMaps.Serialize(identity);
        await ThrottleAsync(context, store, throttle, identityKey, publicKey, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var outcome = await store.RecordAuthRequestAsync(
            Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), identity, identityKey, publicKey, now, cancellationToken).ConfigureAwait(false);
        var device = outcome.Device;
        var authSetStatus = outcome.AuthSet.Status;
        if (authSetStatus == DeviceStatus.Preauthorized)
        {
            device = await store.SetAuthSetStatusAsync(device.Id, outcome.AuthSet.Id, DeviceStatus.Accepted, now, cancellationToken).ConfigureAwait(false) ?? device;
            authSetStatus = DeviceStatus.Accepted;
        }

        registry.Set(device.Id, device.Status);
        if (authSetStatus != DeviceStatus.Accepted || device.Status != DeviceStatus.Accepted)
        {
            throw ApiException.Unauthorized($"the device's authentication set is {authSetStatus}; an operator must accept it");
        }

        var options = context.RequestServices.GetRequiredService<ServerOptions>();
        return Results.Text(tokens.IssueDevice(device.Id, options.DeviceTokenLifetime), "application/jwt", Encoding.ASCII);
    }

    /// <summary>
    /// 429 when the request would write (a new device, or a new key for a known one) and a bucket is empty. A known
    /// identity with its known key writes nothing, so it is never throttled (accepted devices renewing tokens).
    /// </summary>
    private static async Task ThrottleAsync(HttpContext context, IFleetStore store, AuthRequestThrottle throttle, string identityKey, string publicKey, CancellationToken cancellationToken)
    {
        var known = (await store.FindByIdentityKeysAsync([identityKey], cancellationToken).ConfigureAwait(false)).FirstOrDefault();
        if (known is not null
            && (await store.GetAuthSetsAsync([known.Id], cancellationToken).ConfigureAwait(false)).Any(a => a.PublicKey == publicKey))
        {
            return;
        }

        if (throttle.TryAcquire(context.Connection.RemoteIpAddress, identityKey, createsDevice: known is null) is { } refusal)
        {
            throw ApiException.TooManyRequests(refusal);
        }
    }

    /// <summary>id_data is a JSON object serialised into a string; values become strings (lists joined with ',').</summary>
    public static Dictionary<string, string> ParseIdentity(string idData)
    {
        WellFormedText.CheckJson(Encoding.UTF8.GetBytes(idData), "id_data");
        try
        {
            using var document = JsonDocument.Parse(idData);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw ApiException.BadRequest("id_data must be a JSON object of identity attributes");
            }

            var identity = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                identity[property.Name] = JsonText.Of(property.Value);
            }

            return identity.Count > 0 ? identity : throw ApiException.BadRequest("id_data has no identity attributes");
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest("id_data is not valid JSON: " + e.Message);
        }
    }

    private sealed record AuthRequestBody(string? IdData, string? Pubkey, string? TenantToken);
}
