using System.Security.Cryptography;
using System.Text;

namespace Gitfleet.Server.Reconcile.Webhooks;

/// <summary>
/// Verifies push webhooks with the shared secret, in constant time: GitHub's <c>X-Hub-Signature-256</c>
/// (<c>sha256=</c> + hex HMAC-SHA256 of the body), Gitea's <c>X-Gitea-Signature</c> (hex HMAC-SHA256) and
/// GitLab's <c>X-Gitlab-Token</c> (the secret itself).
/// </summary>
internal static class WebhookSignature
{
    public static bool VerifyHmac(string? header, ReadOnlySpan<byte> body, string secret, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (string.IsNullOrEmpty(header) || !header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        byte[] claimed;
        try
        {
            claimed = Convert.FromHexString(header.AsSpan(prefix.Length).Trim());
        }
        catch (FormatException)
        {
            return false;
        }

        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body);
        return CryptographicOperations.FixedTimeEquals(expected, claimed);
    }

    /// <summary>Compares hashes of both tokens, so neither the content nor the length of the secret leaks through timing.</summary>
    public static bool VerifyToken(string? header, string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (string.IsNullOrEmpty(header))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(header)), SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
    }
}
