using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Gitfleet.Server.Security;

namespace Gitfleet.Server.Deployments;

/// <summary>
/// Unguessable, expiring download links that need no Authorization header (the Mender client sends none):
/// <c>/api/downloads/{kind}/{id}/{expires}/{signature}</c>, where the signature is an HMAC over kind, id and
/// expiry with a key derived from the server's signing key. A device link names one device deployment, so it
/// serves only that device's artifact (or delta), and only while that deployment is unfinished.
/// </summary>
public sealed class DownloadLinks(TokenService tokens, TimeProvider time)
{
    public const string Prefix = "/api/downloads";
    public const string DeviceKind = "device";
    public const string ArtifactKind = "artifact";
    public const string DeltaKind = "delta";

    private readonly byte[] key = tokens.DeriveKey("gitfleet download links v1");

    /// <summary>A link under <paramref name="baseUri"/> (the scheme, host and path base the device reached the server at).</summary>
    public (string Uri, DateTimeOffset Expires) Create(Uri baseUri, string kind, string id, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(baseUri);
        var expires = DateTimeOffset.FromUnixTimeSeconds(time.GetUtcNow().Add(lifetime).ToUnixTimeSeconds());
        var seconds = expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var uri = $"{baseUri.AbsoluteUri.TrimEnd('/')}{Prefix}/{kind}/{Uri.EscapeDataString(id)}/{seconds}/{Sign(kind, id, seconds)}";
        return (uri, expires);
    }

    /// <summary>Checks signature and expiry; the message says what is wrong.</summary>
    public string? Validate(string kind, string id, string expires, string signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        var expected = Encoding.ASCII.GetBytes(Sign(kind, id, expires));
        if (!CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(signature)))
        {
            return "the download link is not valid";
        }

        if (!long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds <= time.GetUtcNow().ToUnixTimeSeconds())
        {
            return "the download link has expired";
        }

        return null;
    }

    private string Sign(string kind, string id, string expires) =>
        Base64Url.EncodeToString(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{kind}\n{id}\n{expires}")));
}
