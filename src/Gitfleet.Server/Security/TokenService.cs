using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Gitfleet.Server.Security;

/// <summary>
/// Issues and validates JWTs (HS256, Mender's claim shape: sub, exp, iat, jti, iss and mender.device or mender.user).
/// Validation is allocation-free for device tokens: the check-in hot path validates a token in about a microsecond.
/// Only tokens with exactly our header are accepted, so no algorithm confusion is possible.
/// </summary>
public sealed class TokenService
{
    private const string Issuer = "Gitfleet";
    private const int MaxTokenLength = 4096;
    private static readonly string HeaderSegment = Base64Url.EncodeToString("""{"alg":"HS256","typ":"JWT"}"""u8);
    private readonly byte[] key;
    private readonly TimeProvider time;

    public TokenService(byte[] key, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length < 32)
        {
            throw new ArgumentException("the signing key needs at least 32 bytes", nameof(key));
        }

        this.key = key;
        this.time = time;
    }

    /// <summary>Loads the signing key from the data dir, generating it (0600) on first start.</summary>
    public static byte[] LoadOrCreateKey(string path)
    {
        if (File.Exists(path))
        {
            return Convert.FromBase64String(File.ReadAllText(path).Trim());
        }

        var key = RandomNumberGenerator.GetBytes(64);
        Hosting.DataDirectory.WriteSecret(path, Convert.ToBase64String(key));
        return key;
    }

    /// <summary>A key derived for another purpose (download links), so one secret never signs two kinds of thing.</summary>
    public byte[] DeriveKey(string purpose) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(purpose));

    public string IssueDevice(string deviceId, TimeSpan lifetime) => Issue(deviceId, "mender.device", Guid.NewGuid().ToString(), lifetime);

    public string IssueUser(string userId, TimeSpan lifetime, string role) => Issue(userId, "mender.user", Guid.NewGuid().ToString(), lifetime, role: role);

    public string IssuePersonalAccessToken(string userId, string tokenId, TimeSpan lifetime, string role) => Issue(userId, "mender.user", tokenId, lifetime, personal: true, role: role);

    /// <summary>The hot path: a valid, unexpired device token's subject as a Guid, without allocating.</summary>
    public bool TryValidateDevice(ReadOnlySpan<char> token, out Guid deviceId)
    {
        deviceId = default;
        Span<byte> payload = stackalloc byte[MaxTokenLength];
        if (!TryVerify(token, payload, out var length))
        {
            return false;
        }

        var reader = new Utf8JsonReader(payload[..length]);
        var isDevice = false;
        long expires = 0;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("sub"u8))
                {
                    reader.Read();
                    if (!reader.TryGetGuid(out deviceId))
                    {
                        return false;
                    }
                }
                else if (reader.ValueTextEquals("exp"u8))
                {
                    reader.Read();
                    expires = reader.GetInt64();
                }
                else if (reader.ValueTextEquals("mender.device"u8))
                {
                    reader.Read();
                    isDevice = reader.TokenType == JsonTokenType.True;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }

        return isDevice && deviceId != Guid.Empty && expires > time.GetUtcNow().ToUnixTimeSeconds();
    }

    /// <summary>Validates any of our tokens: signature, expiry, and kind.</summary>
    public bool TryValidate(ReadOnlySpan<char> token, out TokenClaims claims)
    {
        claims = default;
        var buffer = ArrayPool<byte>.Shared.Rent(MaxTokenLength);
        try
        {
            if (!TryVerify(token, buffer, out var length))
            {
                return false;
            }

            using var document = JsonDocument.Parse(buffer.AsMemory(0, length));
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("sub", out var sub) || sub.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("exp", out var exp) || !exp.TryGetInt64(out var expires)
                || !root.TryGetProperty("jti", out var jti) || jti.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            if (expires <= time.GetUtcNow().ToUnixTimeSeconds())
            {
                return false;
            }

            TokenKind kind;
            if (root.TryGetProperty("mender.device", out var device) && device.ValueKind == JsonValueKind.True)
            {
                kind = TokenKind.Device;
            }
            else if (root.TryGetProperty("mender.user", out var user) && user.ValueKind == JsonValueKind.True)
            {
                kind = root.TryGetProperty("gitfleet.pat", out var pat) && pat.ValueKind == JsonValueKind.True
                    ? TokenKind.PersonalAccessToken
                    : TokenKind.User;
            }
            else
            {
                return false;
            }

            var role = root.TryGetProperty("gitfleet.role", out var roleClaim) && roleClaim.ValueKind == JsonValueKind.String ? roleClaim.GetString() : null;
            claims = new TokenClaims(kind, sub.GetString()!, jti.GetString()!, DateTimeOffset.FromUnixTimeSeconds(expires), role);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private string Issue(string subject, string kindClaim, string id, TimeSpan lifetime, bool personal = false, string? role = null)
    {
        var now = time.GetUtcNow();
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("jti", id);
            writer.WriteString("sub", subject);
            writer.WriteNumber("exp", now.Add(lifetime).ToUnixTimeSeconds());
            writer.WriteNumber("iat", now.ToUnixTimeSeconds());
            writer.WriteString("iss", Issuer);
            writer.WriteBoolean(kindClaim, true);
            if (personal)
            {
                writer.WriteBoolean("gitfleet.pat", true);
            }

            if (role is not null)
            {
                writer.WriteString("gitfleet.role", role);
            }

            writer.WriteEndObject();
        }

        var unsigned = HeaderSegment + "." + Base64Url.EncodeToString(stream.ToArray());
        var signature = HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(unsigned));
        return unsigned + "." + Base64Url.EncodeToString(signature);
    }

    /// <summary>Checks header and signature; decodes the payload into <paramref name="payload"/>.</summary>
    private bool TryVerify(ReadOnlySpan<char> token, Span<byte> payload, out int length)
    {
        length = 0;
        if (token.Length is 0 or > MaxTokenLength || !token.StartsWith(HeaderSegment, StringComparison.Ordinal)
            || token.Length <= HeaderSegment.Length || token[HeaderSegment.Length] != '.')
        {
            return false;
        }

        var rest = token[(HeaderSegment.Length + 1)..];
        var dot = rest.IndexOf('.');
        if (dot <= 0)
        {
            return false;
        }

        var signed = token[..(HeaderSegment.Length + 1 + dot)];
        Span<byte> signedBytes = stackalloc byte[MaxTokenLength];
        for (var i = 0; i < signed.Length; i++)
        {
            var c = signed[i];
            if (c > 127)
            {
                return false;
            }

            signedBytes[i] = (byte)c;
        }

        Span<byte> expected = stackalloc byte[32];
        HMACSHA256.HashData(key, signedBytes[..signed.Length], expected);
        Span<byte> actual = stackalloc byte[48];
        if (Base64Url.DecodeFromChars(rest[(dot + 1)..], actual, out _, out var signatureLength) != OperationStatus.Done
            || signatureLength != 32
            || !CryptographicOperations.FixedTimeEquals(expected, actual[..32]))
        {
            return false;
        }

        return Base64Url.DecodeFromChars(rest[..dot], payload, out _, out length) == OperationStatus.Done;
    }
}
