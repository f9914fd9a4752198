using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Gitfleet.Server.Delivery;

/// <summary>
/// Short-lived signed links to a web server in front of the artifact directory, in the scheme of nginx's
/// <c>secure_link</c> module: <c>BASE/PATH?md5=M&amp;expires=E</c> where M is base64url (no padding) of
/// MD5(E + "/" + URI path + " " + secret) and nginx is configured with
/// <c>secure_link $arg_md5,$arg_expires; secure_link_md5 "$secure_link_expires$uri SECRET";</c>
/// (docs/artifacts.md has the whole server block). nginx refuses an altered link (403) and an expired one (410) and
/// serves Range requests itself; the Gitfleet server only signs, so a download costs it nothing per byte.
/// MD5 is what the nginx module offers; the link's strength is the secret, and a link only ever names a file that
/// exists anyway, for a short time.
/// </summary>
internal sealed class OffloadedLinks(Uri baseUrl, string secret, TimeProvider time)
{
    /// <summary>A link to <paramref name="relativePath"/> (under the artifact directory) valid for <paramref name="lifetime"/>.</summary>
    public (string Uri, DateTimeOffset Expires) Create(string relativePath, TimeSpan lifetime)
    {
        ArgumentException.ThrowIfNullOrEmpty(relativePath);
        var expires = DateTimeOffset.FromUnixTimeSeconds(time.GetUtcNow().Add(lifetime).ToUnixTimeSeconds());
        var seconds = expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var path = baseUrl.AbsolutePath.TrimEnd('/') + "/" + string.Join('/', relativePath.Split('/').Select(Uri.EscapeDataString));
        var signature = Base64Url.EncodeToString(MD5.HashData(Encoding.UTF8.GetBytes($"{seconds}{Uri.UnescapeDataString(path)} {secret}")));
        var origin = baseUrl.GetLeftPart(UriPartial.Authority);
        return ($"{origin}{path}?md5={signature}&expires={seconds}", expires);
    }
}
