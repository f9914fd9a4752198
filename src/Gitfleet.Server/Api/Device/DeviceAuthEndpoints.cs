using System.Text;
using System.Text.Json;
using Gitfleet.Core.Facts;
using Gitfleet.Server.Api.Throttling;
using Gitfleet.Server.Devices;
using Gitfleet.Server.Hosting;
using Gitfleet.Server.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gitfleet.Server.Api.Device;

/// <summary>devauth, device side: the signed auth request that yields a device token once the device is accepted.</summary>
internal static class DeviceAuthEndpoints
{
    public static void MapDeviceAuthApi(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/devices/v1/authentication/auth_requests", AuthRequestAsync);

    private static async Task<IResult> AuthRequestAsync(
        HttpContext context, DeviceService devices, TokenService tokens, ServerOptions options, AuthRequestThrottle throttle, CancellationToken cancellationToken)
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
        byte[] signature;
        try
        {
            signature = Convert.FromBase64String(signatureHeader);
        }
        catch (FormatException)
        {
            throw ApiException.BadRequest("X-MEN-Signature is not base64");
        }

        // A request that would write (a new device, or a new key for a known one) passes the throttle first; a known
        // identity with its known key writes nothing and is never throttled (accepted devices renewing tokens).
        var address = context.Connection.RemoteIpAddress;
        ThrottleRefusal? refusal = null;
        var answer = await devices.AuthenticateAsync(identity, request.Pubkey, raw, signature,
            createsDevice => (refusal = throttle.TryAcquire(address, DeviceIdentity.Key(identity), createsDevice)) is null, cancellationToken).ConfigureAwait(false);
        return answer.Result switch
        {
            AuthRequestResult.Accepted => Results.Text(tokens.IssueDevice(answer.DeviceId!, options.DeviceTokenLifetime), "application/jwt", Encoding.ASCII),
            AuthRequestResult.BadSignature => throw ApiException.Unauthorized("signature verification failed"),
            AuthRequestResult.Refused => throw ApiException.TooManyRequests(refusal!),
            _ => throw ApiException.Unauthorized($"the device's authentication set is {answer.AuthSetStatus}; an operator must accept it"),
        };
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
